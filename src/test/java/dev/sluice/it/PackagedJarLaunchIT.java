package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.launch.MultiReleaseClasses;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * {@code java -jar sluice.jar} as a user runs it: the launcher extracts the jar into its cache and
 * runs the service from there in a JVM of its own; after its first stop, a training run writes the
 * class-data archive, which the next start maps ({@code -Xshare:on}: the JVM refuses to start
 * without it).
 * Stops reach the service: SIGTERM to the launcher stops both with SIGTERM's status, and a killed
 * launcher takes the service with it. A flight recording started while the service runs from the
 * archive does not crash it; one from the JVM's start gets no archive. With {@code
 * sluice.launcher.mode=in-place} the service runs in the launched JVM.
 */
class PackagedJarLaunchIT extends IntegrationTest {

    @TempDir
    Path work;

    private final List<ServiceProcess> services = new ArrayList<>();

    @AfterEach
    void killServices() throws InterruptedException {
        for (ServiceProcess service : services) {
            service.kill();
        }
    }

    @Test
    void theJarStartsFromItsExtractedLayoutWritesItsArchiveAfterItsFirstStopAndMapsItAfter() throws Exception {
        String run = "launch" + UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic(run);
        JdbcTemplate db = newDatabase(run);
        Path cache = work.resolve("cache");
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 0, 200)));

        // First start from this jar: extracted into the cache, run without an archive (a JVM that
        // records one starts slower); once it stops, a training run writes the archive.
        ServiceProcess first = start(run, topic, "first.log", "-Dsluice.launcher.cache-dir=" + cache);
        await().atMost(DEADLINE).until(() -> rows(db) == 200);
        ProcessHandle firstService = serviceJvm(first).orElseThrow();
        Path entry = onlyEntry(cache);
        assertThat(firstService.info().arguments().orElseThrow())
                .contains("-jar")
                .anyMatch(argument -> argument.startsWith(entry.resolve("app").toString()) && argument.endsWith(".jar"))
                .noneMatch(argument -> argument.startsWith("-XX:ArchiveClassesAtExit")
                        || argument.startsWith("-XX:SharedArchiveFile"));
        assertThat(Files.readString(work.resolve("first.log")))
                .contains("once the service stops, a training run writes the class-data archive");
        assertThat(archives(entry)).isEmpty();

        first.terminate(Duration.ofMinutes(2));
        assertThat(first.process().exitValue()).as("SIGTERM's status").isEqualTo(143);
        assertThat(firstService.isAlive()).isFalse();
        assertThat(archives(entry))
                .singleElement()
                .satisfies(archive -> assertThat(archive).isNotEmptyFile());
        assertThat(Files.readString(work.resolve("first.log")))
                .contains("the service has stopped; a training run now writes the class-data archive")
                .contains("class-data archive written");

        // Later starts map the archive, and resume where the first stopped. The classes of
        // multi-release jars in the archive are loaded as the service starts, before anything
        // needs them (on Java 17, one loaded from the archive under a class-file hook, such as a
        // flight recording started while the service starts, crashes the JVM), and a recording
        // started during the start records it.
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 200, 100)));
        ServiceProcess second = start(
                run,
                topic,
                "second.log",
                "-Xshare:on",
                "-Xlog:class+load=info:file=" + work.resolve("classes-%p.log"),
                "-Dsluice.launcher.cache-dir=" + cache);
        ProcessHandle secondService = await().atMost(DEADLINE)
                .until(() -> serviceJvm(second), Optional::isPresent)
                .orElseThrow();
        await().atMost(DEADLINE)
                .until(() -> jcmd(secondService, "JFR.start", "name=ops", "filename=" + work.resolve("ops.jfr")));
        await().atMost(DEADLINE).until(() -> rows(db) == 300 || !secondService.isAlive());
        assertThat(secondService.isAlive()).as("the service, recorded").isTrue();
        assertThat(rows(db)).isEqualTo(300);
        assertThat(Files.readString(work.resolve("second.log"))).contains("with its class-data archive");
        List<String> loaded = Files.readAllLines(work.resolve("classes-" + secondService.pid() + ".log"));
        assertThat(lineOf(loaded, "org.postgresql.util.LazyCleanerImpl$CleanableWrapper source: shared objects file"))
                .as("the PostgreSQL driver's versioned class, from the archive, before its first connection")
                .isLessThan(lineOf(loaded, "org.postgresql.jdbc.PgConnection source:"));
        assertThat(jcmd(secondService, "JFR.stop", "name=ops")).isTrue();
        assertThat(work.resolve("ops.jfr")).isNotEmptyFile();
        assertThat(onlyEntry(cache)).isEqualTo(entry);
        assertThat(entry.resolve("app").resolve(MultiReleaseClasses.FILE)).isNotEmptyFile();

        // A launcher killed outright (no hook to pass the stop on) takes its service with it.
        second.process().destroyForcibly().waitFor();
        await().atMost(DEADLINE).until(() -> !secondService.isAlive());
        assertThat(Files.readString(work.resolve("second.log"))).contains("The launcher (process");

        // A flight recording from the JVM's start: the service starts without the archive.
        Path recording = work.resolve("start.jfr");
        ServiceProcess third = start(
                run,
                topic,
                "third.log",
                "-XX:StartFlightRecording=filename=" + recording,
                "-Dsluice.launcher.cache-dir=" + cache);
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 300, 100)));
        await().atMost(DEADLINE).until(() -> rows(db) == 400);
        assertThat(Files.readString(work.resolve("third.log"))).contains("without its class-data archive");
        assertThat(serviceJvm(third).orElseThrow().info().arguments().orElseThrow())
                .noneMatch(argument -> argument.startsWith("-XX:SharedArchiveFile"));
        third.terminate(Duration.ofMinutes(2));
        assertThat(recording).isNotEmptyFile();
    }

    /** Runs a diagnostic command in a JVM; false when it did not succeed (not attachable yet, say). */
    private static boolean jcmd(ProcessHandle jvm, String... command) throws Exception {
        List<String> line = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(jvm.pid())));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return jcmd.waitFor() == 0;
    }

    private static int lineOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("No line with '" + text + "'");
    }

    @Test
    void inPlaceRunsTheServiceInTheLaunchedJvm() throws Exception {
        String run = "inplace" + UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic(run);
        JdbcTemplate db = newDatabase(run);
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 0, 50)));

        ServiceProcess service = start(
                run,
                topic,
                "in-place.log",
                "-Dsluice.launcher.mode=in-place",
                "-Dsluice.launcher.cache-dir=" + work.resolve("cache"));
        await().atMost(DEADLINE).until(() -> rows(db) == 50);

        assertThat(serviceJvm(service)).isEmpty();
        assertThat(work.resolve("cache")).doesNotExist();
    }

    private ServiceProcess start(String run, String topic, String log, String... options) throws IOException {
        ServiceProcess service = ServiceProcess.startJar(
                List.of(options),
                work.resolve(log),
                "postgres",
                serviceArguments(
                        databaseUrl(run),
                        work,
                        topic,
                        "--sluice.pipelines.car-info-to-postgres.trigger=1s",
                        "--sluice.pipelines.car-info-to-hdfs.auto-start=false"),
                DEADLINE);
        services.add(service);
        return service;
    }

    /** The JVM the launcher started for the service, if it started one. */
    private static Optional<ProcessHandle> serviceJvm(ServiceProcess service) {
        return service.process().children().filter(ProcessHandle::isAlive).findFirst();
    }

    private static Path onlyEntry(Path cache) throws IOException {
        try (Stream<Path> entries = Files.list(cache)) {
            List<Path> all = entries.toList();
            assertThat(all).as("one cache entry for one jar").hasSize(1);
            return all.get(0);
        }
    }

    private static List<Path> archives(Path entry) throws IOException {
        try (Stream<Path> files = Files.list(entry)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jsa"))
                    .toList();
        }
    }

    private static long rows(JdbcTemplate db) {
        try {
            return db.queryForObject("SELECT count(*) FROM car_info_table", Long.class);
        } catch (RuntimeException e) {
            return -1; // not created yet
        }
    }
}
