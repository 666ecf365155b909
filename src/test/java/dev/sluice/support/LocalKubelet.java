package dev.sluice.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a kubelet does for the pods of one namespace, on this machine, through the API server's
 * REST interface: each new pod's first container runs as a local process of the image's entrypoint
 * (in the image's layout), with the pod's arguments and environment. Field references resolve as
 * on a node (the pod IP is 127.0.0.1); each volume mount is a directory of its own (a ConfigMap
 * volume holds the ConfigMap's files), and mount paths in the environment point at those
 * directories. A started pod is reported Running; a container that exits reports its pod Failed;
 * a deleted pod's process is killed.
 */
public final class LocalKubelet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalKubelet.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final String namespaceUrl;
    private final Path entrypoint;
    private final Map<String, String> imageEnvironment;
    private final Path root;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> started = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();

    /**
     * @param apiServer the API server's URL
     * @param imageEnvironment the image's {@code ENV}, which the pod's environment overrides
     */
    public LocalKubelet(
            String apiServer, String namespace, Path entrypoint, Map<String, String> imageEnvironment, Path root) {
        this.namespaceUrl = apiServer + "/api/v1/namespaces/" + namespace;
        this.entrypoint = entrypoint;
        this.imageEnvironment = Map.copyOf(imageEnvironment);
        this.root = root;
        loop.scheduleWithFixedDelay(this::sync, 0, 250, TimeUnit.MILLISECONDS);
    }

    /** The pods started so far, as the API server gave them. */
    public List<JsonNode> startedPods() {
        return List.copyOf(started.values());
    }

    /** The pods the API server has now, by name. */
    public Set<String> podsNow() throws IOException, InterruptedException {
        Set<String> names = new HashSet<>();
        get("/pods")
                .path("items")
                .forEach(pod -> names.add(pod.path("metadata").path("name").asText()));
        return names;
    }

    /** The containers still running here. */
    public Set<String> runningContainers() {
        return Set.copyOf(processes.keySet());
    }

    /** Where a started pod's container wrote its output. */
    public Path log(String pod) {
        return root.resolve(pod).resolve("container.log");
    }

    private void sync() {
        try {
            Set<String> present = new HashSet<>();
            for (JsonNode pod : get("/pods").path("items")) {
                String name = pod.path("metadata").path("name").asText();
                present.add(name);
                if (!started.containsKey(name)
                        && pod.path("metadata").path("deletionTimestamp").isMissingNode()) {
                    started.put(name, pod);
                    start(pod);
                }
            }
            for (Map.Entry<String, Process> entry : processes.entrySet()) {
                String name = entry.getKey();
                Process process = entry.getValue();
                if (!present.contains(name)) {
                    log.info("Pod {} deleted: stopping its container", name);
                    ServiceProcess.destroyTree(process);
                    processes.remove(name);
                } else if (!process.isAlive()) {
                    log.info("Pod {}'s container exited with {}", name, process.exitValue());
                    processes.remove(name);
                    setPhase(name, "Failed");
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Kubelet sync failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start(JsonNode pod) throws IOException, InterruptedException {
        String name = pod.path("metadata").path("name").asText();
        JsonNode container = pod.path("spec").path("containers").path(0);
        Path podDir = Files.createDirectories(root.resolve(name));
        Map<String, Path> mounts = new HashMap<>();
        for (JsonNode mount : container.path("volumeMounts")) {
            String volumeName = mount.path("name").asText();
            Path directory = Files.createDirectories(podDir.resolve("volumes").resolve(volumeName));
            JsonNode volume = null;
            for (JsonNode candidate : pod.path("spec").path("volumes")) {
                if (candidate.path("name").asText().equals(volumeName)) {
                    volume = candidate;
                }
            }
            if (volume == null) {
                throw new IllegalStateException("pod " + name + " mounts a volume it does not have: " + volumeName);
            }
            if (volume.has("configMap")) {
                writeConfigMap(volume.path("configMap"), directory);
            }
            mounts.put(mount.path("mountPath").asText(), directory);
        }
        Map<String, String> environment = new HashMap<>(imageEnvironment);
        for (JsonNode variable : container.path("env")) {
            environment.put(variable.path("name").asText(), mounted(value(pod, variable), mounts));
        }
        List<String> command = new ArrayList<>();
        if (container.path("command").isEmpty()) {
            command.addAll(List.of("bash", entrypoint.toString()));
        } else {
            container.path("command").forEach(part -> command.add(part.asText()));
        }
        container.path("args").forEach(argument -> command.add(argument.asText()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log(name).toFile());
        builder.environment().putAll(environment);
        log.info("Starting pod {}: {}", name, command);
        processes.put(name, builder.start());
        setPhase(name, "Running");
    }

    private void writeConfigMap(JsonNode source, Path directory) throws IOException, InterruptedException {
        JsonNode configMap = get("/configmaps/" + source.path("name").asText());
        Map<String, String> paths = new HashMap<>();
        source.path("items")
                .forEach(item ->
                        paths.put(item.path("key").asText(), item.path("path").asText()));
        for (Iterator<Map.Entry<String, JsonNode>> data = configMap.path("data").fields(); data.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = data.next();
            Path file = directory.resolve(paths.getOrDefault(entry.getKey(), entry.getKey()));
            Files.createDirectories(file.getParent());
            Files.writeString(file, entry.getValue().asText(), StandardCharsets.UTF_8);
        }
    }

    private static String value(JsonNode pod, JsonNode variable) {
        if (!variable.has("valueFrom")) {
            return variable.path("value").asText("");
        }
        String field =
                variable.path("valueFrom").path("fieldRef").path("fieldPath").asText();
        return switch (field) {
            case "status.podIP", "status.hostIP" -> "127.0.0.1";
            case "metadata.name" -> pod.path("metadata").path("name").asText();
            case "metadata.namespace" -> pod.path("metadata").path("namespace").asText();
            default ->
                throw new IllegalStateException(
                        "pod " + pod.path("metadata").path("name").asText() + ": no stand-in for " + variable);
        };
    }

    /** The value with each mount path (the longest first) replaced by its directory here. */
    private static String mounted(String value, Map<String, Path> mounts) {
        String result = value;
        for (String mountPath : mounts.keySet().stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList()) {
            result = result.replace(mountPath, mounts.get(mountPath).toString());
        }
        return result;
    }

    private void setPhase(String name, String phase) throws IOException, InterruptedException {
        String patch = JSON.writeValueAsString(
                Map.of("status", Map.of("phase", phase, "podIP", "127.0.0.1", "hostIP", "127.0.0.1")));
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(namespaceUrl + "/pods/" + name + "/status"))
                        .header("Content-Type", "application/merge-patch+json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(patch))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "setting pod " + name + " " + phase + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(namespaceUrl + path)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": HTTP " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    @Override
    public void close() throws InterruptedException {
        loop.shutdownNow();
        loop.awaitTermination(10, TimeUnit.SECONDS);
        for (Process process : processes.values()) {
            ServiceProcess.destroyTree(process);
        }
    }
}
