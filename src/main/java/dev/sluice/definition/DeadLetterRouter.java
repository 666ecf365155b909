package dev.sluice.definition;

import dev.sluice.pipeline.RejectRule;
import java.io.Serializable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Passes on a partition's accepted records and writes its rejected ones to the dead letters, in
 * chunks of at most {@link #CHUNK} as they come (so a partition of bad records never sits in
 * memory whole), all before the task ends. A failed write fails the task, so the micro-batch
 * cannot commit past a record that is neither in the result nor a dead letter; a replayed batch
 * writes the same dead letters, which the table's key keeps once.
 *
 * <p>Rows carry the routing columns first: topic, partition, offset, timestamp, value, reason,
 * detail (reason null for an accepted record), key. A record whose reason is a {@link RejectRule#DROP}
 * is neither passed on nor kept; one whose reason is a {@link RejectRule#FAIL} fails the task with
 * a {@link dev.sluice.pipeline.PipelineRefusal}.
 */
final class DeadLetterRouter implements MapPartitionsFunction<Row, Row> {

    /** The most rejected records held before they are written. */
    static final int CHUNK = 10_000;

    private static final int REASON = 5;

    /** Writes rejected records in one transaction. */
    interface Writer extends Serializable {
        void write(Iterator<Row> rejected) throws SQLException;
    }

    private final Writer deadLetters;
    private final int chunk;

    DeadLetterRouter(Writer deadLetters) {
        this(deadLetters, CHUNK);
    }

    DeadLetterRouter(Writer deadLetters, int chunk) {
        this.deadLetters = deadLetters;
        this.chunk = chunk;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Iterator<>() {
            private final List<Row> rejected = new ArrayList<>();
            private Row next;

            @Override
            public boolean hasNext() {
                while (next == null && input.hasNext()) {
                    Row row = input.next();
                    if (row.isNullAt(REASON)) {
                        next = row;
                    } else if (row.getString(REASON).startsWith(RejectRule.DROP)) {
                        continue;
                    } else if (row.getString(REASON).startsWith(RejectRule.FAIL)) {
                        throw RejectRule.failure(
                                row.getString(REASON), row.getString(REASON + 1), row.get(0), row.get(1), row.get(2));
                    } else {
                        rejected.add(row);
                        if (rejected.size() >= chunk) {
                            flush();
                        }
                    }
                }
                if (next == null) {
                    flush();
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row row = next;
                next = null;
                return row;
            }

            private void flush() {
                if (rejected.isEmpty()) {
                    return;
                }
                try {
                    deadLetters.write(rejected.iterator());
                } catch (SQLException e) {
                    throw new IllegalStateException(
                            "Could not write " + rejected.size() + " dead letters: " + e.getMessage(), e);
                }
                rejected.clear();
            }
        };
    }
}
