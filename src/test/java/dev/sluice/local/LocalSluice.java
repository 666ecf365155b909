package dev.sluice.local;

import dev.sluice.SluiceApplication;
import dev.sluice.support.Infrastructure;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import sun.misc.Signal;

/**
 * Sluice on the embedded default: a real Kafka broker and PostgreSQL server in this JVM, Parquet
 * under {@code target/sluice-local}, and the car_info simulator publishing to {@code car_info}.
 * Started by {@code ./mvnw spring-boot:test-run}; none of this is in the production jar.
 *
 * <p>Settings (system properties or environment): {@code sluice.local.postgres-port} (5433),
 * {@code sluice.local.events-per-second} (200), {@code sluice.local.vehicles} (500).
 */
public final class LocalSluice {

    private static final Logger log = LoggerFactory.getLogger(LocalSluice.class);

    private LocalSluice() {}

    public static void main(String[] args) throws IOException {
        int postgresPort = setting("sluice.local.postgres-port", 5433);
        int eventsPerSecond = setting("sluice.local.events-per-second", 200);
        int vehicles = setting("sluice.local.vehicles", 500);
        // A fresh broker and database each run, so the checkpoints and files start fresh too.
        Path work = Path.of("target", "sluice-local").toAbsolutePath();
        deleteRecursively(work);
        Files.createDirectories(work);

        EmbeddedKafkaBroker kafka = Infrastructure.kafka();
        kafka.addTopics(new NewTopic("car_info", 3, (short) 1));
        EmbeddedPostgres postgres = Infrastructure.postgres(postgresPort);
        CarInfoSimulator simulator =
                new CarInfoSimulator(kafka.getBrokersAsString(), "car_info", vehicles, eventsPerSecond, 0.01);
        simulator.start();

        List<String> arguments = new ArrayList<>(List.of(
                "--spring.profiles.active=local",
                "--server.address=127.0.0.1",
                "--sluice.spark.config.spark.driver.host=127.0.0.1",
                "--sluice.spark.config.spark.driver.bindAddress=127.0.0.1",
                "--sluice.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=postgres",
                "--sluice.checkpoint-root=" + work.resolve("checkpoints").toUri(),
                "--sluice.pipelines.car-info-to-hdfs.path="
                        + work.resolve("car_info").toUri()));
        arguments.addAll(List.of(args));
        ConfigurableApplicationContext context = SluiceApplication.run(arguments.toArray(String[]::new));

        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stopInOrder = () -> {
            if (stopped.compareAndSet(false, true)) {
                context.close();
                simulator.close();
                kafka.destroy();
                try {
                    postgres.close();
                } catch (IOException e) {
                    log.warn("PostgreSQL did not stop cleanly: {}", e.getMessage());
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stopInOrder, "sluice-local-shutdown"));
        // The JVM runs its shutdown hooks all at once, and the broker's test kit has one that
        // deletes the broker's data directory: pipelines stopping mid-batch would meet a broker
        // losing its files. So Ctrl+C (SIGINT) and SIGTERM stop the service, then the broker and
        // the database, in that order, before the JVM exits.
        for (String name : List.of("INT", "TERM")) {
            Signal.handle(new Signal(name), signal -> {
                stopInOrder.run();
                System.exit(128 + signal.getNumber());
            });
        }

        log.info(
                """

                Sluice is running on the embedded default.
                  Pipelines:  curl -s http://127.0.0.1:{}/api/queries
                  Kafka:      {} (topic car_info, {} events/s from {} simulated vehicles)
                  PostgreSQL: psql postgresql://postgres:postgres@127.0.0.1:{}/postgres
                  Parquet:    {}
                """,
                context.getEnvironment().getProperty("local.server.port"),
                kafka.getBrokersAsString(),
                eventsPerSecond,
                vehicles,
                postgres.getPort(),
                work.resolve("car_info"));
    }

    private static int setting(String name, int defaultValue) {
        String value = System.getProperty(
                name, System.getenv(name.toUpperCase().replace('.', '_').replace('-', '_')));
        return value == null ? defaultValue : Integer.parseInt(value);
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
