package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.definition.PipelineDefinition.OutputMode;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class MemoryTablesTest {

    private static final StructType SCHEMA =
            new StructType().add("terminal", DataTypes.StringType).add("speed", DataTypes.DoubleType);

    private final MemoryTables tables = new MemoryTables();

    /** A restarted run resumes from its checkpoint: an update table keeps the keys it is not told again. */
    @Test
    void aRestartedRunKeepsTheRowsOfEarlierBatches() {
        tables.ensure("latest", SCHEMA, OutputMode.UPDATE, List.of("terminal"), 100);
        tables.apply("latest", 0, List.of(row("T1", 10), row("T2", 20)));
        tables.apply("latest", 1, List.of(row("T1", 11)));

        tables.ensure("latest", SCHEMA, OutputMode.UPDATE, List.of("terminal"), 100);
        tables.apply("latest", 1, List.of(row("T1", 99)));
        tables.apply("latest", 2, List.of(row("T3", 30)));

        MemoryTables.Snapshot snapshot = tables.read("latest", 10).orElseThrow();
        assertThat(snapshot.batchId()).isEqualTo(2);
        assertThat(snapshot.rows())
                .containsExactly(
                        Map.of("terminal", "T2", "speed", 20.0),
                        Map.of("terminal", "T1", "speed", 11.0),
                        Map.of("terminal", "T3", "speed", 30.0));
    }

    @Test
    void aTableOfAnotherShapeStartsEmpty() {
        tables.ensure("latest", SCHEMA, OutputMode.APPEND, List.of(), 100);
        tables.apply("latest", 0, List.of(row("T1", 10)));

        tables.ensure("latest", SCHEMA, OutputMode.APPEND, List.of(), 50);

        MemoryTables.Snapshot snapshot = tables.read("latest", 10).orElseThrow();
        assertThat(snapshot.rows()).isEmpty();
        assertThat(snapshot.batchId()).isEqualTo(-1);
    }

    private static Row row(String terminal, double speed) {
        return RowFactory.create(terminal, speed);
    }
}
