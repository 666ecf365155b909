package dev.sluice.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.spark.sql.SparkSession;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * One run of both car_info pipelines by a service started in a JVM of its own, with its tasks on
 * other JVMs: a topic of its own holding the events, a database of its own, Parquet and checkpoints
 * on HDFS under the run's name; and the checks that every event arrived exactly once.
 */
public final class ClusterRun {

    private final String name;
    private final String topic;
    private final String databaseUrl;
    private final String parquet;
    private final Set<String> expected = new HashSet<>();

    private ClusterRun(String name) {
        this.name = name;
        this.topic = name + "_car_info";
        this.databaseUrl =
                "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/" + name;
        this.parquet = Infrastructure.hdfsUri() + "/" + name + "/car_info";
    }

    /** Creates the run's topic and database and sends it {@code events} valid car_info events. */
    public static ClusterRun create(String prefix, int events, JdbcTemplate admin) {
        ClusterRun run = new ClusterRun(prefix + UUID.randomUUID().toString().substring(0, 8));
        Infrastructure.ensureTopic(run.topic);
        admin.execute("CREATE DATABASE " + run.name);
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            CarInfoEvent event = CarInfoEvent.of(
                    run.name + "-" + i,
                    "T" + (i % 300),
                    Instant.parse("2026-11-21T08:00:00Z").plusMillis(i * 100L),
                    126.9 + (i % 500) * 0.0003,
                    37.4 + (i % 400) * 0.0003,
                    i % 110,
                    i % 360,
                    "1" + (i % 5));
            run.expected.add(event.dataId());
            values.add(event.toJson().getBytes(StandardCharsets.UTF_8));
        }
        IntegrationTest.produce(run.topic, values);
        return run;
    }

    /** The service's arguments for this run: its database, Kafka, HDFS, and both pipelines on its topic. */
    public List<String> serviceArguments() {
        return List.of(
                "--spring.datasource.url=" + databaseUrl,
                "--spring.datasource.username=postgres",
                "--sluice.kafka.bootstrap-servers=" + Infrastructure.kafka().getBrokersAsString(),
                "--sluice.checkpoint-root=" + Infrastructure.hdfsUri() + "/" + name + "/checkpoints",
                "--sluice.pipelines.car-info-to-postgres.topic=" + topic,
                "--sluice.pipelines.car-info-to-postgres.trigger=2s",
                "--sluice.pipelines.car-info-to-hdfs.auto-start=true",
                "--sluice.pipelines.car-info-to-hdfs.topic=" + topic,
                "--sluice.pipelines.car-info-to-hdfs.trigger=2s",
                "--sluice.pipelines.car-info-to-hdfs.path=" + parquet);
    }

    /** Whether as many rows as events are in PostgreSQL and in Parquet. */
    public boolean arrived(SparkSession spark) {
        return countRows() == expected.size() && parquetIds(spark).size() == expected.size();
    }

    /** Every event once in PostgreSQL, and once in Parquet. */
    public void assertEveryEventOnce(SparkSession spark) {
        JdbcTemplate database = new JdbcTemplate(new DriverManagerDataSource(databaseUrl, "postgres", "postgres"));
        assertThat(database.queryForObject(
                        "SELECT count(DISTINCT data_id) FROM car_info_table WHERE data_id LIKE ?",
                        Long.class,
                        name + "%"))
                .isEqualTo(expected.size());
        assertThat(countRows()).isEqualTo(expected.size());
        List<String> parquetIds = parquetIds(spark);
        assertThat(new HashSet<>(parquetIds)).isEqualTo(expected);
        assertThat(parquetIds).hasSize(expected.size());
    }

    /** The tasks an executor's log says it finished. */
    public static long finishedTasks(Path executorLog) throws IOException {
        return Files.readAllLines(executorLog).stream()
                .filter(line -> line.contains("Finished task"))
                .count();
    }

    private List<String> parquetIds(SparkSession spark) {
        try {
            return spark.read().parquet(parquet).select("dataId").collectAsList().stream()
                    .map(row -> row.getString(0))
                    .filter(id -> id.startsWith(name))
                    .toList();
        } catch (Exception notYetWritten) { // AnalysisException until the first batch is written
            return List.of();
        }
    }

    private long countRows() {
        return new JdbcTemplate(new DriverManagerDataSource(databaseUrl, "postgres", "postgres"))
                .queryForObject("SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, name + "%");
    }
}
