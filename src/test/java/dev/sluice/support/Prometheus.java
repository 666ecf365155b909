package dev.sluice.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) on loopback, scraping a target
 * every second. It uses {@code $PROMETHEUS_BIN}, else {@code prometheus} from the package, else it
 * fetches the package into {@code target/tools} with {@code apt-get download} (no root needed).
 */
public final class Prometheus implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TOOLS = Path.of("target", "tools", "prometheus");

    private final Process process;
    private final URI base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Prometheus(Process process, URI base) {
        this.process = process;
        this.base = base;
    }

    /** Starts Prometheus scraping {@code http://target/metricsPath} as job {@code sluice}, with the rule files loaded. */
    public static Prometheus start(String target, String metricsPath, List<Path> ruleFiles, Path workDir)
            throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        StringBuilder config = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: sluice
                    metrics_path: %s
                    static_configs:
                      - targets: ['%s']
                """.formatted(metricsPath, target));
        if (!ruleFiles.isEmpty()) {
            config.append("rule_files:\n");
            for (Path rules : ruleFiles) {
                config.append("  - '").append(rules.toAbsolutePath()).append("'\n");
            }
        }
        Path configFile = workDir.resolve("prometheus.yml");
        Files.writeString(configFile, config);
        Process process = new ProcessBuilder(
                        binary().toString(),
                        "--config.file=" + configFile,
                        "--storage.tsdb.path=" + workDir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("prometheus.log").toFile())
                .start();
        Prometheus prometheus = new Prometheus(process, URI.create("http://127.0.0.1:" + port));
        prometheus.awaitReady(workDir.resolve("prometheus.log"));
        return prometheus;
    }

    /** {@code promtool}, beside the server. */
    public static Path promtool() throws IOException, InterruptedException {
        return binary().resolveSibling("promtool");
    }

    /** Runs an instant query; returns Prometheus' {@code data} or throws with its error. */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        JsonNode answer = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(answer.path("status").asText())) {
            throw new IllegalArgumentException(answer.path("errorType").asText() + ": "
                    + answer.path("error").asText());
        }
        return answer.path("data");
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private void awaitReady(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Prometheus exited: " + Files.readString(log));
            }
            try {
                HttpResponse<String> ready = http.send(
                        HttpRequest.newBuilder(base.resolve("/-/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            process.waitFor(200, TimeUnit.MILLISECONDS);
        }
        throw new IllegalStateException("Prometheus was not ready in 30 s: " + Files.readString(log));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static synchronized Path binary() throws IOException, InterruptedException {
        String configured = System.getenv("PROMETHEUS_BIN");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (Path candidate : List.of(Path.of("/usr/bin/prometheus"), TOOLS.resolve("usr/bin/prometheus"))) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        Files.createDirectories(TOOLS);
        run(TOOLS, "apt-get", "download", "prometheus");
        File[] packages =
                TOOLS.toFile().listFiles((dir, name) -> name.startsWith("prometheus_") && name.endsWith(".deb"));
        if (packages == null || packages.length == 0) {
            throw new IllegalStateException(
                    "No prometheus package was downloaded; install it: apt-get install prometheus");
        }
        run(TOOLS, "dpkg-deb", "-x", packages[0].getName(), ".");
        return TOOLS.resolve("usr/bin/prometheus");
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException(
                    String.join(" ", command) + " failed (install Debian's prometheus package): " + output);
        }
    }
}
