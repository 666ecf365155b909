package dev.sluice.definition;

import dev.sluice.pipeline.PostgresSink;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Passes on a partition's accepted records and writes its rejected ones to the dead letters, in
 * one transaction once the partition is read, before the task ends. A failed write fails the task,
 * so the micro-batch cannot commit past a record that is neither in the result nor a dead letter;
 * a replayed batch writes the same dead letters, which the table's key keeps once.
 *
 * <p>Rows carry the routing columns first: topic, partition, offset, timestamp, value, reason,
 * detail (reason null for an accepted record).
 */
final class DeadLetterRouter implements MapPartitionsFunction<Row, Row> {

    private static final int REASON = 5;

    private final PostgresSink deadLetters;

    DeadLetterRouter(PostgresSink deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Iterator<>() {
            private final List<Row> rejected = new ArrayList<>();
            private Row next;
            private boolean flushed;

            @Override
            public boolean hasNext() {
                while (next == null && input.hasNext()) {
                    Row row = input.next();
                    if (row.isNullAt(REASON)) {
                        next = row;
                    } else {
                        rejected.add(row);
                    }
                }
                if (next == null && !flushed) {
                    flushed = true;
                    if (!rejected.isEmpty()) {
                        try {
                            deadLetters.writeRows(rejected.iterator());
                        } catch (java.sql.SQLException e) {
                            throw new IllegalStateException(
                                    "Could not write " + rejected.size() + " dead letters: " + e.getMessage(), e);
                        }
                        rejected.clear();
                    }
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
        };
    }
}
