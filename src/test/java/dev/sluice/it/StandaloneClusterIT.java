package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.support.ClusterRun;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The same build on a real Spark cluster: a standalone master and two workers in JVMs of their
 * own, with the image's layout (the jar extracted into {@code sluice.jar} + {@code lib/}) standing in
 * for {@code SPARK_HOME/jars}, and the service started through the image's entrypoint with
 * {@code spark.master=spark://...}. Both car_info pipelines then run their tasks in executor JVMs
 * the workers fork; every event must arrive exactly once in PostgreSQL and in Parquet on HDFS.
 */
class StandaloneClusterIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(StandaloneClusterIT.class);
    private static final int EVENTS = 20_000;
    private static final int WORKERS = 2;

    @Autowired
    private SparkSession spark;

    @TempDir
    Path work;

    private final List<Process> daemons = new ArrayList<>();
    private ServiceProcess service;

    @AfterEach
    void stopCluster() throws InterruptedException {
        if (service != null) {
            service.kill();
        }
        for (Process daemon : daemons) {
            ServiceProcess.destroyTree(daemon);
        }
    }

    @Test
    void bothPipelinesRunOnExecutorJvmsAndDeliverEveryEventOnce() throws Exception {
        ClusterRun run = ClusterRun.create("cluster", EVENTS, jdbc);

        // The image's layout: java -Djarmode=tools extract, as in the Dockerfile.
        Path app = work.resolve("app");
        Path appJar = ServiceProcess.extractImageLayout(app);
        Path sparkHome = Files.createDirectories(work.resolve("spark-home"));
        Files.createSymbolicLink(sparkHome.resolve("jars"), app.resolve("lib"));
        // SPARK_HOME/conf is on executors' classpath: their logging configuration, from the jar.
        try (JarFile jar = new JarFile(appJar.toFile())) {
            Files.copy(
                    jar.getInputStream(jar.getEntry("executor-logback.xml")),
                    Files.createDirectories(sparkHome.resolve("conf")).resolve("executor-logback.xml"));
        }

        long clusterStart = System.nanoTime();
        int masterPort = ServiceProcess.freePort();
        daemon(
                "master",
                appJar,
                sparkHome,
                List.of(
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(masterPort),
                        "--webui-port",
                        Integer.toString(ServiceProcess.freePort())));
        await().atMost(Duration.ofMinutes(1)).until(() -> listening(masterPort));
        List<Path> workDirs = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            Path workDir = Files.createDirectories(work.resolve("worker-" + w));
            workDirs.add(workDir);
            daemon(
                    "worker-" + w,
                    appJar,
                    sparkHome,
                    List.of(
                            "org.apache.spark.deploy.worker.Worker",
                            "--host",
                            "127.0.0.1",
                            "--cores",
                            "1",
                            "--memory",
                            "1536m",
                            "--work-dir",
                            workDir.toString(),
                            "--webui-port",
                            Integer.toString(ServiceProcess.freePort()),
                            "spark://127.0.0.1:" + masterPort));
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> registeredWorkers() == WORKERS);
        double clusterUp = (System.nanoTime() - clusterStart) / 1e9;

        long serviceStart = System.nanoTime();
        List<String> arguments = new ArrayList<>(run.serviceArguments());
        arguments.addAll(List.of(
                "--sluice.spark.master=spark://127.0.0.1:" + masterPort,
                "--sluice.spark.config.spark.driver.host=127.0.0.1",
                "--sluice.spark.config.spark.driver.bindAddress=127.0.0.1",
                "--sluice.spark.config.spark.executor.memory=1g",
                "--sluice.spark.config.spark.executor.cores=1",
                "--sluice.spark.config.spark.cores.max=" + WORKERS,
                "--sluice.spark.config.spark.jars=" + appJar.toUri(),
                "--sluice.spark.config.spark.sql.shuffle.partitions=2"));
        service = ServiceProcess.start(
                List.of(
                        "bash",
                        Path.of("src/main/docker/entrypoint.sh")
                                .toAbsolutePath()
                                .toString(),
                        "driver"),
                Map.of("APP_HOME", app.toString(), "JAVA_OPTS", "-Xmx1g"),
                work.resolve("service.log"),
                "postgres",
                arguments,
                Duration.ofMinutes(3));
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> run.arrived(spark));
        double delivered = (System.nanoTime() - serviceStart) / 1e9;
        run.assertEveryEventOnce(spark);

        // The work ran in executor JVMs the workers forked, not in the driver.
        List<Path> executorLogs = new ArrayList<>();
        for (Path workDir : workDirs) {
            try (Stream<Path> files = Files.walk(workDir)) {
                files.filter(file -> file.getFileName().toString().equals("stderr"))
                        .forEach(executorLogs::add);
            }
        }
        long finishedTasks = 0;
        int busyExecutors = 0;
        for (Path stderr : executorLogs) {
            long tasks = ClusterRun.finishedTasks(stderr);
            finishedTasks += tasks;
            busyExecutors += tasks > 0 ? 1 : 0;
        }
        assertThat(busyExecutors)
                .as(
                        "executors that ran tasks; first log %s:%n%s",
                        executorLogs, executorLogs.isEmpty() ? "" : tail(executorLogs.get(0)))
                .isEqualTo(WORKERS);
        assertThat(Files.readString(work.resolve("service.log"))).doesNotContain("local[");
        log.info(
                "Standalone cluster: master + {} workers up in {} s; {} events delivered to PostgreSQL and Parquet {} s after the"
                        + " service started, by {} executor JVMs running {} tasks",
                WORKERS,
                String.format("%.1f", clusterUp),
                EVENTS,
                String.format("%.1f", delivered),
                busyExecutors,
                finishedTasks);
    }

    private void daemon(String name, Path appJar, Path sparkHome, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ServiceProcess.java(), "-Xmx512m", "-cp", appJar.getParent().resolve("lib") + "/*"));
        command.addAll(moduleFlags(appJar));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile());
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.12");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        daemons.add(builder.start());
    }

    /** The Java 17 flags Spark needs, from the jar's own Add-Opens manifest entry. */
    private static List<String> moduleFlags(Path appJar) throws IOException {
        try (JarFile jar = new JarFile(appJar.toFile())) {
            String opens = jar.getManifest().getMainAttributes().getValue("Add-Opens");
            List<String> flags = new ArrayList<>();
            for (String module : opens.trim().split("\\s+")) {
                flags.add("--add-opens=" + module + "=ALL-UNNAMED");
            }
            return flags;
        }
    }

    private long registeredWorkers() throws IOException {
        long workers = 0;
        for (int w = 0; w < WORKERS; w++) {
            Path logFile = work.resolve("worker-" + w + ".log");
            if (Files.exists(logFile) && Files.readString(logFile).contains("Successfully registered with master")) {
                workers++;
            }
        }
        return workers;
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path file) throws IOException {
        String text = Files.readString(file);
        return text.substring(Math.max(0, text.length() - 3000));
    }
}
