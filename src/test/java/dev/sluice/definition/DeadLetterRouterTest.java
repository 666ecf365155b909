package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class DeadLetterRouterTest {

    /** Rows as the router takes them: topic, partition, offset, timestamp, value, reason, detail, key, then fields. */
    private static Row record(long offset, String reason) {
        return RowFactory.create(
                "t", 0, offset, null, new byte[] {1}, reason, reason == null ? null : "bad", null, "field-" + offset);
    }

    @Test
    void rejectedRecordsAreWrittenInBoundedChunksAndTheAcceptedOnesPassInOrder() {
        List<Row> input = new ArrayList<>();
        for (long offset = 0; offset < 60; offset++) {
            input.add(record(offset, offset % 5 == 0 ? null : "MALFORMED_JSON"));
        }
        List<Integer> chunks = new ArrayList<>();
        List<Long> written = new ArrayList<>();
        DeadLetterRouter router = new DeadLetterRouter(
                rejected -> {
                    int size = 0;
                    while (rejected.hasNext()) {
                        written.add(rejected.next().getLong(2));
                        size++;
                    }
                    chunks.add(size);
                },
                10);

        List<Long> accepted = new ArrayList<>();
        router.call(input.iterator()).forEachRemaining(row -> accepted.add(row.getLong(2)));

        assertThat(accepted).containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L, 50L, 55L);
        assertThat(chunks).containsExactly(10, 10, 10, 10, 8);
        assertThat(written).hasSize(48).doesNotHaveDuplicates().doesNotContainAnyElementsOf(accepted);
    }

    @Test
    void aFailedWriteFailsThePartition() {
        DeadLetterRouter router = new DeadLetterRouter(
                rejected -> {
                    throw new SQLException("connection refused", "08001");
                },
                10);
        Iterator<Row> output = router.call(List.of(record(0, "MALFORMED_JSON")).iterator());

        assertThatThrownBy(output::hasNext)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Could not write 1 dead letters: connection refused");
    }
}
