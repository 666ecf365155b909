package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The systems {@link PeersBenchmark} runs, each as its users run it, tuned as its docs recommend,
 * built from {@code bench/peers} by {@code bench/run peers}, which passes where they are as
 * {@code peers.sluice.jar}, {@code peers.flink.classpath} and {@code peers.connect.classpath}.
 */
final class Peers {

    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String HEAP = "-Xmx2g";
    /** What Flink's own launch scripts open up on Java 17. */
    private static final List<String> FLINK_OPENS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");

    private Peers() {}

    static List<PeersBenchmark.Peer> all() {
        return List.of(
                sluice(),
                sluiceImage(),
                flink(PeersBenchmark.FLINK_BATCH, "batch"),
                flink(PeersBenchmark.FLINK_XA, "xa"),
                connect());
    }

    static String id(PeersBenchmark.Peer peer) {
        return switch (peer.label()) {
            case PeersBenchmark.SLUICE -> "sluice-jar";
            case PeersBenchmark.SLUICE_IMAGE -> "sluice-image";
            case PeersBenchmark.FLINK_BATCH -> "flink";
            case PeersBenchmark.FLINK_XA -> "flink-xa";
            case PeersBenchmark.CONNECT -> "connect";
            default -> peer.label();
        };
    }

    /** The packaged service with its defaults, its PostgreSQL pipeline on the benchmark's topic. */
    static PeersBenchmark.Peer sluice() {
        return peer(PeersBenchmark.SLUICE, launch -> sluice(launch, required("peers.sluice.jar")));
    }

    /**
     * The same as its image runs it: the jar extracted (a plain class path), with the class-data
     * archive the image's build trains ({@code src/main/docker/train-class-data.sh}), started by
     * the image's entrypoint with its driver's JVM options, from {@code peers.sluice.image}.
     */
    static PeersBenchmark.Peer sluiceImage() {
        return peer(PeersBenchmark.SLUICE_IMAGE, launch -> {
            Path image = Path.of(required("peers.sluice.image"));
            Path javaHome = Path.of(JAVA).getParent().getParent();
            List<String> options = concat(List.of(HEAP), jvmArgs("peers.sluice.jvmArgs"));
            return concat(
                    List.of(
                            "env",
                            "APP_HOME=" + image,
                            "JAVA_HOME=" + javaHome,
                            "JAVA_OPTS=" + String.join(" ", options),
                            "bash",
                            image.resolve("entrypoint.sh").toString(),
                            "driver"),
                    arguments(launch));
        });
    }

    /**
     * {@code java -jar}, as a user starts the jar. Its launcher keeps the jar's extracted layout and
     * class-data archive in a cache: one for the whole benchmark, so the first repetition is the
     * jar's first start on a host (extraction, no archive; a training run writes it after the stop) and the others
     * are its later starts.
     */
    private static List<String> sluice(PeersBenchmark.Launch launch, String jar) throws IOException {
        String cache = "-Dsluice.launcher.cache-dir=" + launch.bench().work.resolve("sluice-launch-cache");
        return concat(
                List.of(JAVA, HEAP, cache), jvmArgs("peers.sluice.jvmArgs"), List.of("-jar", jar), arguments(launch));
    }

    /** The service's arguments: its PostgreSQL pipeline on the benchmark's topic and database. */
    private static List<String> arguments(PeersBenchmark.Launch launch) throws IOException {
        return List.of(
                "--server.address=127.0.0.1",
                "--server.port=" + PeersBenchmark.freePort(),
                "--spring.datasource.url=" + launch.bench().url,
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=postgres",
                "--sluice.spark.config.spark.driver.host=127.0.0.1",
                "--sluice.spark.config.spark.driver.bindAddress=127.0.0.1",
                "--sluice.kafka.bootstrap-servers=" + launch.bench().kafka.getBrokersAsString(),
                "--sluice.checkpoint-root="
                        + launch.work().resolve("checkpoints").toUri(),
                "--sluice.pipelines.car-info-to-postgres.topic=" + launch.topic(),
                "--sluice.pipelines.car-info-to-hdfs.topic=" + launch.topic(),
                "--sluice.pipelines.car-info-to-hdfs.auto-start=false");
    }

    /**
     * Extra JVM options for one system (a profiler, say), separated by {@code |} (the benchmark's
     * own options are split on spaces): {@code -Dpeers.sluice.jvmArgs=-XX:A|-XX:B}.
     */
    private static List<String> jvmArgs(String property) {
        String value = System.getProperty(property, "").strip();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s*\\|\\s*"));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    static PeersBenchmark.Peer flink(String label, String mode) {
        return peer(label, launch -> {
            List<String> command = new ArrayList<>(List.of(JAVA, HEAP));
            command.addAll(FLINK_OPENS);
            command.addAll(List.of(
                    "-cp",
                    required("peers.flink.classpath"),
                    "dev.sluice.peers.FlinkCarInfoJob",
                    launch.bench().kafka.getBrokersAsString(),
                    launch.topic(),
                    launch.bench().url,
                    "postgres",
                    "postgres",
                    mode));
            return command;
        });
    }

    /**
     * Kafka Connect standalone, Debezium's JDBC sink upserting on {@code data_id}: the JSON
     * converter reads the seven fields with a schema given in its settings (KIP-1054), a
     * ReplaceField transform renames them to the table's columns, batches and polls of 5,000, two
     * tasks. A new connector name each time, so each run reads the topic from the start.
     */
    static PeersBenchmark.Peer connect() {
        return peer(PeersBenchmark.CONNECT, launch -> {
            String schema = "{\"type\":\"struct\",\"optional\":false,\"fields\":["
                    + "{\"field\":\"dataId\",\"type\":\"string\",\"optional\":false},"
                    + "{\"field\":\"trmnId\",\"type\":\"string\",\"optional\":true},"
                    + "{\"field\":\"vhcleLot\",\"type\":\"double\",\"optional\":true},"
                    + "{\"field\":\"vhcleLat\",\"type\":\"double\",\"optional\":true},"
                    + "{\"field\":\"gpsUtcTime\",\"type\":\"double\",\"optional\":true},"
                    + "{\"field\":\"vhcleSped\",\"type\":\"double\",\"optional\":true},"
                    + "{\"field\":\"vhcleTypeCd\",\"type\":\"string\",\"optional\":true}]}";
            Path worker = launch.work().resolve("worker.properties");
            Files.writeString(
                    worker,
                    String.join(
                            "\n",
                            "bootstrap.servers=" + launch.bench().kafka.getBrokersAsString(),
                            "key.converter=org.apache.kafka.connect.storage.StringConverter",
                            "value.converter=org.apache.kafka.connect.json.JsonConverter",
                            "value.converter.schemas.enable=true",
                            "value.converter.schema.content=" + schema,
                            "offset.storage.file.filename=" + launch.work().resolve("offsets"),
                            "offset.flush.interval.ms=10000",
                            "listeners=http://127.0.0.1:" + PeersBenchmark.freePort(),
                            "connector.client.config.override.policy=All",
                            "consumer.max.poll.records=5000",
                            ""));
            Path sink = launch.work().resolve("sink.properties");
            Files.writeString(
                    sink,
                    String.join(
                            "\n",
                            "name=car-info-sink-" + launch.repetition() + "-"
                                    + launch.work().getFileName(),
                            "connector.class=io.debezium.connector.jdbc.JdbcSinkConnector",
                            "tasks.max=2",
                            "topics=" + launch.topic(),
                            "connection.url=" + launch.bench().url,
                            "connection.username=postgres",
                            "connection.password=postgres",
                            "insert.mode=upsert",
                            "primary.key.mode=record_value",
                            "primary.key.fields=data_id",
                            "schema.evolution=none",
                            "table.name.format=" + Bench.TABLE,
                            "batch.size=5000",
                            "consumer.override.max.poll.records=5000",
                            "transforms=rename",
                            "transforms.rename.type=org.apache.kafka.connect.transforms.ReplaceField$Value",
                            "transforms.rename.renames=dataId:data_id,trmnId:trmncd,vhcleLot:detclot,vhcleLat:detclat,"
                                    + "gpsUtcTime:gpsutctime,vhcleSped:vhclesped,vhcleTypeCd:vhcletypecd",
                            ""));
            return List.of(
                    JAVA,
                    HEAP,
                    "-cp",
                    required("peers.connect.classpath"),
                    "org.apache.kafka.connect.cli.ConnectStandalone",
                    worker.toString(),
                    sink.toString());
        });
    }

    private interface Command {
        List<String> of(PeersBenchmark.Launch launch) throws IOException;
    }

    private static PeersBenchmark.Peer peer(String label, Command command) {
        return new PeersBenchmark.Peer() {
            @Override
            public String label() {
                return label;
            }

            @Override
            public List<String> command(PeersBenchmark.Launch launch) throws IOException {
                return command.of(launch);
            }
        };
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(property + " is not set: run the peers with 'bash bench/run peers'");
        }
        return value;
    }
}
