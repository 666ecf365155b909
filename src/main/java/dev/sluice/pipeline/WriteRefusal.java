package dev.sluice.pipeline;

import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Why PostgreSQL refused a row, in a dead letter's detail: the SQLSTATE, the constraint or column, the message. */
final class WriteRefusal {

    private static final int MAX_DETAIL_LENGTH = 2_000;

    private WriteRefusal() {}

    static String describe(SQLException refusal) {
        SQLException cause = refusal;
        if (!(cause instanceof PSQLException) && cause.getNextException() != null) {
            cause = cause.getNextException();
        }
        StringBuilder detail = new StringBuilder("SQLSTATE ").append(cause.getSQLState());
        ServerErrorMessage server = cause instanceof PSQLException psql ? psql.getServerErrorMessage() : null;
        if (server != null) {
            if (server.getConstraint() != null) {
                detail.append(", constraint ").append(server.getConstraint());
            } else if (server.getColumn() != null) {
                detail.append(", column ").append(server.getColumn());
            }
            detail.append(": ").append(server.getMessage());
            String where = server.getWhere();
            if (where != null && where.startsWith("COPY ")) {
                // "COPY table, line 1, column name: "value"": the column, without the value.
                int column = where.indexOf(", column ");
                if (column >= 0) {
                    int colon = where.indexOf(':', column);
                    detail.append(" (")
                            .append(where, column + 2, colon < 0 ? where.length() : colon)
                            .append(')');
                }
            }
        } else {
            detail.append(": ").append(cause.getMessage());
        }
        String text = Redaction.redact(detail.toString());
        return text.length() > MAX_DETAIL_LENGTH ? text.substring(0, MAX_DETAIL_LENGTH) + "..." : text;
    }
}
