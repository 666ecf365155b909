package dev.sluice.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.StringJoiner;
import org.apache.spark.sql.Row;

/** How a result row the table refused is kept as a dead letter: no record of a topic is its own. */
final class ResultRows {

    /** The dead letter's topic: this and the table. Not a Kafka topic name, so a replay must name one. */
    static final String TOPIC_PREFIX = "result:";

    private ResultRows() {}

    /** The row as a JSON object of its columns, or its values in brackets when it has no schema. */
    static byte[] json(Row row) {
        if (row.schema() != null) {
            return row.json().getBytes(StandardCharsets.UTF_8);
        }
        StringJoiner values = new StringJoiner(", ", "[", "]");
        for (int i = 0; i < row.length(); i++) {
            values.add(String.valueOf(row.get(i)));
        }
        return values.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A non-negative 63-bit digest of the row: the same row, the same number. */
    static long digest(byte[] json) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(json);
            return ByteBuffer.wrap(hash).getLong() & Long.MAX_VALUE;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
