package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.support.ClusterRun;
import dev.sluice.support.Helm;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.KubernetesApiServerProcess;
import dev.sluice.support.LocalKubelet;
import dev.sluice.support.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.yaml.snakeyaml.Yaml;

/**
 * Kubernetes executors, without a cluster: the service runs through the image's entrypoint with
 * the Spark settings the Helm chart renders for its {@code kubernetes-executors} scenario
 * ({@code spark.master=k8s://...}, the image, the executor pod template). Spark's Kubernetes
 * scheduler creates the executor pods in a Kubernetes API server stand-in
 * ({@link KubernetesApiServerProcess}: fabric8's mock server, keeping objects and serving watches),
 * and {@link LocalKubelet} starts each pod's container, as the pod spec gives it, as a local
 * process of the image's entrypoint. Both car_info pipelines must then
 * deliver every event once with their tasks in those executor processes.
 *
 * <p>What it does not prove: a real API server's admission and RBAC, image pulls, a container
 * runtime enforcing the security context, and pod networking (every process here is on
 * 127.0.0.1, so each gets its own ports instead of the chart's fixed ones).
 */
class KubernetesExecutorsIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(KubernetesExecutorsIT.class);
    private static final String NAMESPACE = "streaming";
    private static final int EVENTS = 10_000;
    private static final int EXECUTORS = 2;

    @Autowired
    private SparkSession spark;

    /** Kept when the test fails: the service's, and each pod's, log. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    private KubernetesApiServerProcess apiServer;
    private LocalKubelet kubelet;
    private ServiceProcess service;

    @AfterEach
    void stop() throws InterruptedException {
        if (service != null) {
            service.kill();
        }
        if (kubelet != null) {
            kubelet.close();
        }
        if (apiServer != null) {
            apiServer.close();
        }
    }

    @Test
    void bothPipelinesRunOnExecutorPodsTheDriverCreates() throws Exception {
        apiServer = KubernetesApiServerProcess.start();
        String apiUrl = apiServer.url();

        // The chart's rendering for Kubernetes executors, pointed at this API server.
        Path values = Path.of("helm", "sluice", "ci", "kubernetes-executors-values.yaml");
        Helm.Result rendered = Helm.run(
                "template",
                "sluice",
                Path.of("helm", "sluice").toString(),
                "-f",
                values.toString(),
                "--namespace",
                NAMESPACE,
                "--set",
                "spark.kubernetesExecutors.apiServer=" + apiUrl);
        assertThat(rendered.exitCode()).as(rendered.stderr()).isZero();
        List<Map<String, Object>> manifests = Helm.manifests(rendered.stdout());
        Map<String, String> configMap = chartConfigMap(manifests);
        Map<String, Object> application = new Yaml().load(configMap.get("application.yml"));
        @SuppressWarnings("unchecked")
        Map<String, Object> sparkSettings =
                (Map<String, Object>) ((Map<String, Object>) application.get("sluice")).get("spark");
        @SuppressWarnings("unchecked")
        Map<String, String> chartSpark = (Map<String, String>) sparkSettings.get("config");
        Path podTemplate = Files.writeString(
                work.resolve("executor-pod-template.yaml"), configMap.get("executor-pod-template.yaml"));

        ClusterRun run = ClusterRun.create("k8s", EVENTS, jdbc);

        Path app = work.resolve("app");
        ServiceProcess.extractImageLayout(app);
        // As the image's build does: the driver's class-data archive, which the entrypoint uses.
        ServiceProcess.trainClassData(app);
        Path entrypoint = Path.of("src", "main", "docker", "entrypoint.sh").toAbsolutePath();
        Map<String, String> imageEnvironment = Map.of(
                "APP_HOME",
                app.toString(),
                "JAVA_HOME",
                System.getProperty("java.home"),
                "SPARK_USER",
                "sluice",
                "HADOOP_USER_NAME",
                System.getProperty("user.name"));
        kubelet = new LocalKubelet(
                apiUrl, NAMESPACE, entrypoint, imageEnvironment, Files.createDirectories(work.resolve("pods")));

        // The chart's Spark settings, but for what one host cannot share: every process here is on
        // 127.0.0.1, so ports are chosen freely and the driver is reached there; smaller executors.
        Map<String, String> sparkConfig = new LinkedHashMap<>(chartSpark);
        sparkConfig.put("spark.driver.host", "127.0.0.1");
        sparkConfig.put("spark.driver.bindAddress", "127.0.0.1");
        sparkConfig.put("spark.driver.port", Integer.toString(ServiceProcess.freePort()));
        sparkConfig.put("spark.blockManager.port", "0");
        sparkConfig.put("spark.kubernetes.executor.podTemplateFile", podTemplate.toString());
        sparkConfig.put("spark.executor.instances", Integer.toString(EXECUTORS));
        sparkConfig.put("spark.executor.cores", "1");
        sparkConfig.put("spark.executor.memory", "768m");
        sparkConfig.put("spark.sql.shuffle.partitions", "2");
        List<String> arguments = new ArrayList<>(run.serviceArguments());
        arguments.add("--sluice.spark.master=" + sparkSettings.get("master"));
        sparkConfig.forEach((key, value) -> arguments.add("--sluice.spark.config." + key + "=" + value));

        long start = System.nanoTime();
        service = ServiceProcess.start(
                List.of("bash", entrypoint.toString(), "driver"),
                // -Xshare:on: the driver fails to start unless it maps the archive the image trained.
                Map.of("APP_HOME", app.toString(), "JAVA_OPTS", "-Xmx1g -Xshare:on"),
                work.resolve("service.log"),
                "postgres",
                arguments,
                Duration.ofMinutes(3));
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> run.arrived(spark));
        double delivered = (System.nanoTime() - start) / 1e9;
        run.assertEveryEventOnce(spark);

        // The driver asked for the executor pods the chart describes: the image, the pod template's
        // labels, security context and writable /tmp, and the entrypoint's executor command.
        List<JsonNode> pods = kubelet.startedPods();
        assertThat(pods).hasSize(EXECUTORS);
        for (JsonNode pod : pods) {
            JsonNode labels = pod.path("metadata").path("labels");
            assertThat(labels.path("spark-role").asText()).isEqualTo("executor");
            assertThat(labels.path("app.kubernetes.io/component").asText()).isEqualTo("executor");
            assertThat(labels.path("app.kubernetes.io/name").asText()).isEqualTo("sluice");
            assertThat(pod.path("metadata").path("name").asText()).startsWith("sluice-exec-");
            assertThat(pod.path("spec")
                            .path("securityContext")
                            .path("runAsNonRoot")
                            .asBoolean())
                    .isTrue();
            JsonNode container = pod.path("spec").path("containers").path(0);
            assertThat(container.path("image").asText()).isEqualTo(chartSpark.get("spark.kubernetes.container.image"));
            assertThat(container.path("args").toString()).isEqualTo("[\"executor\"]");
            assertThat(container
                            .path("securityContext")
                            .path("readOnlyRootFilesystem")
                            .asBoolean())
                    .isTrue();
            assertThat(container
                            .path("securityContext")
                            .path("allowPrivilegeEscalation")
                            .asBoolean(true))
                    .isFalse();
            assertThat(container.path("volumeMounts").findValuesAsText("mountPath"))
                    .contains("/tmp");
            assertThat(container.path("resources").path("requests").path("cpu").asText())
                    .isEqualTo("1500m");
        }

        // The work ran in those executor processes, not in the driver.
        int busyExecutors = 0;
        long finishedTasks = 0;
        for (JsonNode pod : pods) {
            long tasks = ClusterRun.finishedTasks(
                    kubelet.log(pod.path("metadata").path("name").asText()));
            finishedTasks += tasks;
            busyExecutors += tasks > 0 ? 1 : 0;
        }
        assertThat(busyExecutors)
                .as("executors that ran tasks; logs under %s", work.resolve("pods"))
                .isEqualTo(EXECUTORS);
        assertThat(Files.readString(work.resolve("service.log"))).doesNotContain("local[");
        log.info(
                "Kubernetes executors: {} events delivered to PostgreSQL and Parquet {} s after the service started, by {} executor pods"
                        + " running {} tasks",
                EVENTS,
                String.format("%.1f", delivered),
                busyExecutors,
                finishedTasks);

        // Stopped as Kubernetes stops its pod, the driver deletes its executor pods; their containers go.
        service.terminate(Duration.ofMinutes(2));
        service = null;
        await().atMost(Duration.ofMinutes(1))
                .until(() -> kubelet.podsNow().isEmpty()
                        && kubelet.runningContainers().isEmpty());

        // Everything the driver asked of the API server, the chart's Role allows.
        Set<String> allowed = new TreeSet<>();
        for (Map<String, Object> rule : roleRules(manifests)) {
            for (Object resource : (List<?>) rule.get("resources")) {
                for (Object verb : (List<?>) rule.get("verbs")) {
                    allowed.add(resource + " " + verb);
                }
            }
        }
        Set<String> used = new TreeSet<>();
        for (KubernetesApiServerProcess.Request request : apiServer.requests()) {
            if (request.userAgent().contains("fabric8") && request.path().contains("/namespaces/")) {
                used.add(request.resource() + " " + request.verb());
            }
        }
        assertThat(used).as("what the driver did").contains("pods create", "pods watch", "pods deletecollection");
        assertThat(allowed).as("the chart's Role").containsAll(used);
        log.info("The driver's requests, all allowed by the chart's Role: {}", used);
    }

    /** The files of the chart's ConfigMap holding {@code application.yml}. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> chartConfigMap(List<Map<String, Object>> manifests) {
        return manifests.stream()
                .filter(m -> "ConfigMap".equals(m.get("kind"))
                        && m.get("data") instanceof Map<?, ?> data
                        && data.containsKey("application.yml"))
                .map(m -> (Map<String, String>) m.get("data"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the chart rendered no application.yml"));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> roleRules(List<Map<String, Object>> manifests) {
        return manifests.stream()
                .filter(m -> "Role".equals(m.get("kind")))
                .map(m -> (List<Map<String, Object>>) m.get("rules"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the chart rendered no Role"));
    }
}
