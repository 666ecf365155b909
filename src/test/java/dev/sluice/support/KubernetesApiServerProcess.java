package dev.sluice.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kubernetes API server stand-in in a JVM of its own: fabric8's mock server in CRUD mode
 * ({@code src/test/kubernetes-api-server}), which keeps the objects it is sent and serves lists,
 * watches, patches and deletes. Its classpath is resolved by Maven apart from the service's (into
 * {@code target/tools/kubernetes-api-server}), so the server's fabric8 version does not have to be
 * the one Spark brings.
 */
public final class KubernetesApiServerProcess implements AutoCloseable {

    private static final Path SOURCE =
            Path.of("src", "test", "kubernetes-api-server").toAbsolutePath();
    private static final Path TOOLS =
            Path.of("target", "tools", "kubernetes-api-server").toAbsolutePath();

    private final Process process;
    private final String url;
    private final Path audit;

    private KubernetesApiServerProcess(Process process, String url, Path audit) {
        this.process = process;
        this.url = url;
        this.audit = audit;
    }

    public static KubernetesApiServerProcess start() throws IOException, InterruptedException {
        int port = ServiceProcess.freePort();
        Path log = Files.createDirectories(TOOLS).resolve("server-" + port + ".log");
        Path audit = TOOLS.resolve("server-" + port + ".requests");
        Files.deleteIfExists(audit);
        Process process = new ProcessBuilder(
                        ServiceProcess.java(),
                        "-cp",
                        classpath(),
                        SOURCE.resolve("KubernetesApiServer.java").toString(),
                        Integer.toString(port),
                        audit.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        KubernetesApiServerProcess server = new KubernetesApiServerProcess(process, "http://127.0.0.1:" + port, audit);
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> {
            assertThat(process.isAlive())
                    .as("the API server stand-in is alive (see %s)", log)
                    .isTrue();
            return http.send(
                                    HttpRequest.newBuilder(URI.create(server.url + "/api/v1/namespaces/default/pods"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        });
        return server;
    }

    /** {@code http://127.0.0.1:PORT} */
    public String url() {
        return url;
    }

    /** A request the server received. */
    public record Request(String method, String path, String userAgent) {

        /** The RBAC verb the request needs. */
        public String verb() {
            boolean item = !path.split("\\?")[0].matches(".*/namespaces/[^/]+/[^/]+");
            return switch (method) {
                case "GET" -> path.contains("watch=true") ? "watch" : item ? "get" : "list";
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> item ? "delete" : "deletecollection";
                default -> method.toLowerCase(java.util.Locale.ROOT);
            };
        }

        /** The resource, with any subresource: {@code pods}, {@code pods/status}. */
        public String resource() {
            String[] parts = path.split("\\?")[0].split("/namespaces/[^/]+/")[1].split("/");
            return parts.length > 2 ? parts[0] + "/" + parts[2] : parts[0];
        }
    }

    /** Every request so far, in order. */
    public List<Request> requests() throws IOException {
        if (!Files.exists(audit)) {
            return List.of();
        }
        return Files.readAllLines(audit).stream()
                .map(line -> line.split(" ", 3))
                .map(parts -> new Request(parts[0], parts[1], parts.length > 2 ? parts[2] : ""))
                .toList();
    }

    private static synchronized String classpath() throws IOException, InterruptedException {
        Path classpath = TOOLS.resolve("classpath.txt");
        if (!Files.exists(classpath)) {
            Path log = Files.createDirectories(TOOLS).resolve("resolve.log");
            Process maven = new ProcessBuilder(
                            Path.of("mvnw").toAbsolutePath().toString(),
                            "-q",
                            "-f",
                            SOURCE.resolve("pom.xml").toString(),
                            "dependency:build-classpath",
                            "-Dmdep.outputFile=" + classpath)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            boolean finished = maven.waitFor(10, TimeUnit.MINUTES);
            assertThat(finished && maven.exitValue() == 0)
                    .as("resolving the API server stand-in's classpath: %s", Files.readString(log))
                    .isTrue();
        }
        return Files.readString(classpath).strip();
    }

    @Override
    public void close() throws InterruptedException {
        ServiceProcess.destroyTree(process);
    }
}
