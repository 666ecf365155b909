package dev.sluice.deadletter;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The dead letters in PostgreSQL: read newest first in pages, replayed into Kafka once each,
 * purged by filter or by age.
 */
public class DeadLetterStore {

    /** The most dead letters one replay reads and marks in one transaction. */
    static final int REPLAY_CHUNK = 500;

    private static final String COLUMNS = "id, pipeline, reason, detail, topic, kafka_partition, kafka_offset,"
            + " kafka_timestamp, raw_key, raw_value, recorded_at, replayed_at";

    /** Sends dead letters' values back into Kafka, each acknowledged before it returns. */
    public interface Publisher {
        void publish(List<DeadLetter> letters, String topic) throws Exception;
    }

    /** A page of dead letters, newest first, and the cursor of the next page (null when there is none). */
    public record Page(List<DeadLetter> items, String next) {}

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final String table;

    public DeadLetterStore(JdbcTemplate jdbc, TransactionTemplate transactions, String table) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.table = table;
    }

    /**
     * @param after the cursor of the page before (the last id it showed), or null for the newest
     */
    public Page find(DeadLetterFilter filter, int limit, Long after) {
        List<Object> arguments = new ArrayList<>();
        String where = filter.where(arguments);
        if (after != null) {
            where += " AND id < ?";
            arguments.add(after);
        }
        arguments.add(limit + 1);
        List<DeadLetter> found = jdbc.query(
                "SELECT " + COLUMNS + " FROM " + table + " WHERE " + where + " ORDER BY id DESC LIMIT ?",
                (row, index) -> letter(row),
                arguments.toArray());
        if (found.size() <= limit) {
            return new Page(found, null);
        }
        List<DeadLetter> page = found.subList(0, limit);
        return new Page(List.copyOf(page), Long.toString(page.get(limit - 1).id()));
    }

    public Optional<DeadLetter> get(long id) {
        return jdbc
                .query("SELECT " + COLUMNS + " FROM " + table + " WHERE id = ?", (row, index) -> letter(row), id)
                .stream()
                .findFirst();
    }

    /** Deletes the dead letters the filter picks; returns how many. */
    public int purge(DeadLetterFilter filter) {
        List<Object> arguments = new ArrayList<>();
        String where = filter.where(arguments);
        return jdbc.update("DELETE FROM " + table + " WHERE " + where, arguments.toArray());
    }

    /** Deletes the dead letters recorded longer ago than {@code retention}; returns how many. */
    public int purgeOlderThan(Duration retention, Instant now) {
        return jdbc.update("DELETE FROM " + table + " WHERE recorded_at < ?", Timestamp.from(now.minus(retention)));
    }

    /**
     * Replays the dead letters the filter picks that were not replayed yet: a chunk at a time, each
     * chunk read and locked, published (to {@code topic}, or each to its own topic when null), and
     * marked replayed in one transaction, so a failed publish marks nothing and two replays at once
     * never send one letter twice. Returns how many were replayed.
     */
    public int replay(DeadLetterFilter filter, String topic, Publisher publisher) {
        int replayed = 0;
        while (true) {
            Integer chunk = transactions.execute(status -> {
                List<Object> arguments = new ArrayList<>();
                String where = filter.where(arguments) + " AND replayed_at IS NULL";
                arguments.add(REPLAY_CHUNK);
                List<DeadLetter> letters = jdbc.query(
                        "SELECT " + COLUMNS + " FROM " + table + " WHERE " + where
                                + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
                        (row, index) -> letter(row),
                        arguments.toArray());
                if (letters.isEmpty()) {
                    return 0;
                }
                try {
                    publisher.publish(letters, topic);
                } catch (IllegalArgumentException e) {
                    throw e;
                } catch (Exception e) {
                    throw new ReplayException("Could not publish dead letters: " + e.getMessage(), e);
                }
                jdbc.update("UPDATE " + table + " SET replayed_at = now() WHERE id = ANY (?)", (Object)
                        letters.stream().map(DeadLetter::id).toArray(Long[]::new));
                return letters.size();
            });
            if (chunk == null || chunk == 0) {
                return replayed;
            }
            replayed += chunk;
        }
    }

    private static DeadLetter letter(ResultSet row) throws SQLException {
        Timestamp at = row.getTimestamp("kafka_timestamp");
        Timestamp replayed = row.getTimestamp("replayed_at");
        String[] key = DeadLetter.text(row.getBytes("raw_key"));
        String[] value = DeadLetter.text(row.getBytes("raw_value"));
        return new DeadLetter(
                row.getLong("id"),
                row.getString("pipeline"),
                row.getString("reason"),
                row.getString("detail"),
                row.getString("topic"),
                row.getInt("kafka_partition"),
                row.getLong("kafka_offset"),
                at == null ? null : at.toInstant(),
                key[0],
                key[1],
                value[0],
                value[1],
                row.getTimestamp("recorded_at").toInstant(),
                replayed == null ? null : replayed.toInstant());
    }

    /** A replay that could not publish: nothing of its chunk was marked. */
    public static final class ReplayException extends RuntimeException {
        ReplayException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
