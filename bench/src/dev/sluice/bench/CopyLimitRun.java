package dev.sluice.bench;

import dev.sluice.pipeline.CarInfoSchema;
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.function.Supplier;
import org.postgresql.PGConnection;

/** A raw {@code COPY} of the same rows from CSV, without Spark or Kafka: the database's limit. */
final class CopyLimitRun implements BenchRun {

    @Override
    public String group() {
        return "postgres";
    }

    @Override
    public String id() {
        return "copy";
    }

    @Override
    public String label() {
        return Bench.COPY_LIMIT;
    }

    @Override
    public Supplier<Long> run(Bench bench, String topic) throws Exception {
        return rawCopy(bench, bench.copyCsv);
    }

    private static Supplier<Long> rawCopy(Bench bench, byte[] csv) throws Exception {
        bench.truncate();
        try (Connection connection = DriverManager.getConnection(bench.url, "postgres", "postgres")) {
            String columns = String.join(", ", CarInfoSchema.POSTGRES_COLUMNS.values());
            connection
                    .unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyIn(
                            "COPY " + Bench.TABLE + " (" + columns + ") FROM STDIN (FORMAT csv)",
                            new ByteArrayInputStream(csv));
        }
        return bench::countRowsQuietly;
    }
}
