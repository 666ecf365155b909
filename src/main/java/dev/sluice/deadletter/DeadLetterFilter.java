package dev.sluice.deadletter;

import java.time.Instant;
import java.util.List;

/**
 * Which dead letters a call is about; every part optional.
 *
 * @param ids only these
 * @param since recorded at or after
 * @param before recorded before
 */
public record DeadLetterFilter(String pipeline, String reason, List<Long> ids, Instant since, Instant before) {

    public DeadLetterFilter {
        ids = ids == null ? List.of() : List.copyOf(ids);
    }

    /** The SQL condition (after {@code WHERE}) and its arguments, in {@code arguments}. */
    String where(List<Object> arguments) {
        StringBuilder sql = new StringBuilder("true");
        if (pipeline != null) {
            sql.append(" AND pipeline = ?");
            arguments.add(pipeline);
        }
        if (reason != null) {
            sql.append(" AND reason = ?");
            arguments.add(reason);
        }
        if (!ids.isEmpty()) {
            sql.append(" AND id = ANY (?)");
            arguments.add(ids.toArray(Long[]::new));
        }
        if (since != null) {
            sql.append(" AND recorded_at >= ?");
            arguments.add(java.sql.Timestamp.from(since));
        }
        if (before != null) {
            sql.append(" AND recorded_at < ?");
            arguments.add(java.sql.Timestamp.from(before));
        }
        return sql.toString();
    }
}
