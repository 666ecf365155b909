package dev.sluice.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.launch.MultiReleaseClasses;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The packaged service ({@code target/sluice-*.jar}) in a JVM of its own, on loopback, for tests
 * that kill it or take its database away. Available in the integration-test phase, after
 * {@code package}.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static final String LAUNCH_CACHE_DIR = "sluice.launcher.cache-dir";

    private static final String LAUNCHER_MODE = "sluice.launcher.mode";

    /** How a class-data training run reports work it could not do (the archive is then smaller). */
    private static final String TRAINING_WARNING = "Class-data training:";

    /**
     * Where {@code java -jar} keeps the jar's extracted layout and class-data archive in these
     * tests: one cache for the build, as one host has one.
     */
    private static final Path LAUNCH_CACHE = Path.of("target", "launch-cache").toAbsolutePath();

    /** Whether this JVM prepared {@link #LAUNCH_CACHE} for the packaged jar. */
    private static boolean sharedCachePrepared;

    private final Process process;
    private final int port;

    private ServiceProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts the service with {@code arguments} (Spring properties as {@code --key=value}) and
     * waits until its pipelines run.
     */
    public static ServiceProcess start(Path log, String databasePassword, List<String> arguments, Duration deadline)
            throws IOException {
        return start(
                log,
                databasePassword,
                arguments,
                deadline,
                service -> service.get("/api/queries").contains("\"RUNNING\""));
    }

    /**
     * Starts the service with {@code arguments} and waits until it answers (liveness UP), for a
     * service whose API needs credentials or whose pipelines do not start by themselves.
     */
    public static ServiceProcess startAnswering(
            Path log, String databasePassword, List<String> arguments, Duration deadline) throws IOException {
        return start(
                log,
                databasePassword,
                arguments,
                deadline,
                service -> service.get("/actuator/health/liveness").contains("\"UP\""));
    }

    private static ServiceProcess start(
            Path log,
            String databasePassword,
            List<String> arguments,
            Duration deadline,
            Predicate<ServiceProcess> ready)
            throws IOException {
        return start(
                sharedCacheLauncher(), Map.of(), log, databasePassword, withLocalSpark(arguments), deadline, ready);
    }

    /**
     * Starts the packaged jar as a user does, {@code java <options> -jar sluice.jar}, with {@code
     * arguments}, and waits until it answers (liveness UP).
     */
    public static ServiceProcess startJar(
            List<String> options, Path log, String databasePassword, List<String> arguments, Duration deadline)
            throws IOException {
        return start(
                jarLauncher(options),
                Map.of(),
                log,
                databasePassword,
                withLocalSpark(arguments),
                deadline,
                service -> service.get("/actuator/health/liveness").contains("\"UP\""));
    }

    /**
     * {@code java -jar} with the build's one cache, which its first use prepares as a host's
     * provisioning step does ({@code sluice.launcher.mode=prepare}): every start after maps the
     * archive the training run wrote, or fails to start ({@code -Xshare:on}).
     */
    private static synchronized List<String> sharedCacheLauncher() throws IOException {
        List<String> options = List.of("-Xshare:on", "-D" + LAUNCH_CACHE_DIR + "=" + LAUNCH_CACHE);
        if (!sharedCachePrepared) {
            List<String> prepare = new ArrayList<>(options);
            prepare.add("-D" + LAUNCHER_MODE + "=prepare");
            String output = trainToEnd(new ProcessBuilder(jarLauncher(prepare)), Duration.ofMinutes(5));
            assertThat(output).as("the preparation's output").containsAnyOf("class-data archive written", "is ready");
            sharedCachePrepared = true;
        }
        return jarLauncher(options);
    }

    /**
     * Runs a class-data training (the launcher's preparation or the image's script) to its end:
     * killed at the deadline, it must exit 0 and say nothing of work the training could not do.
     *
     * @return its output
     */
    private static String trainToEnd(ProcessBuilder training, Duration deadline) throws IOException {
        Path log = Files.createTempFile("training", ".log");
        Process process =
                training.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during a class-data training", e);
        }
        String output = Files.readString(log);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).as("what the training could not do").doesNotContain(TRAINING_WARNING);
        Files.delete(log);
        return output;
    }

    private static List<String> jarLauncher(List<String> options) throws IOException {
        List<String> launcher = new ArrayList<>(List.of(java(), "-Xmx1g"));
        launcher.addAll(options);
        launcher.addAll(List.of("-jar", jar().getAbsolutePath()));
        return launcher;
    }

    /**
     * Starts the service with {@code arguments}, expects it to refuse to start (to exit with a
     * status other than 0 before the deadline) and returns its log.
     */
    public static String refusedStart(Path log, String databasePassword, List<String> arguments, Duration deadline)
            throws IOException, InterruptedException {
        Process process =
                launch(sharedCacheLauncher(), Map.of(), log, databasePassword, withLocalSpark(arguments), freePort());
        try {
            assertThat(process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the service has stopped (see %s); its last lines:%n%s", log, tail(log))
                    .isTrue();
            assertThat(process.exitValue()).as("the service's exit status").isNotZero();
            return Files.readString(log);
        } finally {
            destroyTree(process);
        }
    }

    private static List<String> withLocalSpark(List<String> arguments) {
        List<String> withLocalSpark = new ArrayList<>(List.of(
                "--sluice.spark.master=local[2]",
                "--sluice.spark.config.spark.driver.host=127.0.0.1",
                "--sluice.spark.config.spark.driver.bindAddress=127.0.0.1"));
        withLocalSpark.addAll(arguments);
        return withLocalSpark;
    }

    /**
     * Starts the service with {@code launcher} (the command up to the Spring arguments) in the
     * given extra environment, and waits until its pipelines run.
     */
    public static ServiceProcess start(
            List<String> launcher,
            Map<String, String> environment,
            Path log,
            String databasePassword,
            List<String> arguments,
            Duration deadline)
            throws IOException {
        return start(
                launcher,
                environment,
                log,
                databasePassword,
                arguments,
                deadline,
                service -> service.get("/api/queries").contains("\"RUNNING\""));
    }

    private static ServiceProcess start(
            List<String> launcher,
            Map<String, String> environment,
            Path log,
            String databasePassword,
            List<String> arguments,
            Duration deadline,
            Predicate<ServiceProcess> ready)
            throws IOException {
        int port = freePort();
        ServiceProcess service =
                new ServiceProcess(launch(launcher, environment, log, databasePassword, arguments, port), port);
        await().atMost(deadline).until(() -> {
            assertThat(service.process.isAlive())
                    .as("the service is alive (see %s); its last lines:%n%s", log, tail(log))
                    .isTrue();
            return ready.test(service);
        });
        return service;
    }

    /** The service's process on loopback at {@code port}, its output in {@code log}. */
    private static Process launch(
            List<String> launcher,
            Map<String, String> environment,
            Path log,
            String databasePassword,
            List<String> arguments,
            int port)
            throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.add("--server.port=" + port);
        command.add("--server.address=127.0.0.1");
        command.addAll(arguments);
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SPRING_DATASOURCE_PASSWORD", databasePassword);
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** The packaged service jar, {@code target/sluice-*.jar}. */
    public static File jar() throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(Path.of("target"), "sluice-*.jar")) {
            for (Path jar : jars) {
                return jar.toFile();
            }
        }
        throw new IllegalStateException("No service jar under target/: run the integration tests through 'mvn verify'");
    }

    /** GET on the service; an empty string while it does not answer. */
    public String get(String path) {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** A request with a JSON body (or none) on the service. */
    public HttpResponse<String> send(String method, String path, String json) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .method(
                                method,
                                json == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public int port() {
        return port;
    }

    /** SIGTERM, as Kubernetes stops a pod: the service shuts down in order. */
    public void terminate(Duration deadline) throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS))
                .as("the service stopped")
                .isTrue();
    }

    /**
     * SIGKILL to the service and its launcher, as a crash or a supervisor's kill takes both: no
     * shutdown hook runs.
     */
    public void kill() throws InterruptedException {
        destroyTree(process);
    }

    /** The process the test launched: {@code java -jar}'s launcher, or the service itself. */
    public Process process() {
        return process;
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    /**
     * The image's layout, as the Dockerfile makes it ({@code java -Djarmode=tools extract}): a plain
     * {@code sluice-*.jar} whose manifest names {@code lib/*.jar}, in {@code destination}.
     *
     * @return the application jar
     */
    public static Path extractImageLayout(Path destination) throws IOException, InterruptedException {
        Path log = Files.createTempFile("extract", ".log");
        Process extract = new ProcessBuilder(
                        java(),
                        "-Djarmode=tools",
                        "-jar",
                        jar().getAbsolutePath(),
                        "extract",
                        "--destination",
                        destination.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(extract.waitFor(2, TimeUnit.MINUTES) && extract.exitValue() == 0)
                .as(Files.readString(log))
                .isTrue();
        Files.delete(log);
        try (Stream<Path> jars = Files.list(destination)) {
            return jars.filter(file -> file.getFileName().toString().endsWith(".jar"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /**
     * Trains the driver's class-data archive in an extracted layout as the image's build does
     * ({@code src/main/docker/train-class-data.sh}), with this JVM's Java.
     *
     * @return the archive
     */
    public static Path trainClassData(Path app) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(
                "bash",
                Path.of("src", "main", "docker", "train-class-data.sh")
                        .toAbsolutePath()
                        .toString(),
                app.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        trainToEnd(builder, Duration.ofMinutes(3));
        Path archive = app.resolve("sluice.jsa");
        assertThat(archive).isNotEmptyFile();
        // with the classes the service loads first, so a recording started later cannot crash it
        assertThat(app.resolve(MultiReleaseClasses.FILE)).content().contains("org.postgresql.");
        return archive;
    }

    /** Kills a process and every process it started, and waits for them to end. */
    public static void destroyTree(Process process) throws InterruptedException {
        List<ProcessHandle> descendants = process.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        for (ProcessHandle descendant : descendants) {
            try {
                descendant.onExit().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // gone, or it will be soon: nothing more a test can do
            }
        }
    }

    /** The java command of this JVM. */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
