package dev.sluice.pipeline;

import java.sql.Timestamp;
import java.util.HexFormat;

/** Encodes values in PostgreSQL's {@code COPY ... FROM STDIN} text format. */
final class CopyText {

    private static final HexFormat HEX = HexFormat.of();

    private CopyText() {}

    static void append(StringBuilder out, Object value) {
        if (value == null) {
            out.append("\\N");
        } else if (value instanceof byte[] bytes) {
            out.append("\\\\x").append(HEX.formatHex(bytes));
        } else if (value instanceof Timestamp timestamp) {
            out.append(timestamp.toInstant());
        } else if (value instanceof String text) {
            appendEscaped(out, text);
        } else {
            appendEscaped(out, value.toString());
        }
    }

    private static void appendEscaped(StringBuilder out, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
    }
}
