package dev.sluice.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/** The audit trail in PostgreSQL ({@code audit_log}). */
public class AuditStore {

    private final JdbcTemplate jdbc;

    public AuditStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public void add(AuditEntry entry) {
        jdbc.update(
                "INSERT INTO audit_log (actor, role, action, pipeline, method, path, parameters, status, outcome, definition)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                entry.actor(),
                entry.role(),
                entry.action(),
                entry.pipeline(),
                entry.method(),
                entry.path(),
                entry.parameters(),
                entry.status(),
                entry.outcome(),
                entry.definition());
    }

    /** The newest entries first, of one pipeline or all, at or after {@code since} when given. */
    public List<AuditEntry> find(String pipeline, Instant since, int limit) {
        StringBuilder sql = new StringBuilder(
                "SELECT id, at, actor, role, action, pipeline, method, path, parameters, status, outcome,"
                        + " definition FROM audit_log WHERE true");
        List<Object> arguments = new ArrayList<>();
        if (pipeline != null) {
            sql.append(" AND pipeline = ?");
            arguments.add(pipeline);
        }
        if (since != null) {
            sql.append(" AND at >= ?");
            arguments.add(Timestamp.from(since));
        }
        sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
        arguments.add(limit);
        return jdbc.query(
                sql.toString(),
                (row, index) -> new AuditEntry(
                        row.getLong("id"),
                        row.getTimestamp("at").toInstant(),
                        row.getString("actor"),
                        row.getString("role"),
                        row.getString("action"),
                        row.getString("pipeline"),
                        row.getString("method"),
                        row.getString("path"),
                        row.getString("parameters"),
                        row.getInt("status"),
                        row.getString("outcome"),
                        row.getString("definition")),
                arguments.toArray());
    }
}
