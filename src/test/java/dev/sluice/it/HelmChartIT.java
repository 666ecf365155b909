package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.SluiceProperties;
import dev.sluice.support.Helm;
import dev.sluice.support.IntegrationTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.HttpStatus;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart, linted and rendered for every {@code ci/*-values.yaml} scenario, with the
 * rendered manifests checked the way a reviewer would: credentials only from a Secret, probes on
 * Actuator paths this very service answers, executor RBAC only with Kubernetes executors, every
 * dashboard shipped, a non-root restricted pod, and an application.yml the service can bind.
 */
class HelmChartIT extends IntegrationTest {

    private static final Path CHART = Path.of("helm", "sluice");

    static Stream<Path> scenarios() throws IOException {
        return Files.list(CHART.resolve("ci"))
                .filter(file -> file.toString().endsWith("-values.yaml"))
                .sorted();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void theChartLintsStrictlyAndRendersASafeDeployment(Path values) throws Exception {
        Helm.Result lint = Helm.run("lint", "--strict", CHART.toString(), "-f", values.toString());
        assertThat(lint.exitCode())
                .as("helm lint --strict -f %s:%n%s%s", values, lint.stdout(), lint.stderr())
                .isZero();
        Helm.Result rendered =
                Helm.run("template", "sluice", CHART.toString(), "-f", values.toString(), "--namespace", "streaming");
        assertThat(rendered.exitCode())
                .as("helm template -f %s: %s", values, rendered.stderr())
                .isZero();
        List<Map<String, Object>> manifests = Helm.manifests(rendered.stdout());
        Map<String, Object> scenario = new Yaml().load(Files.readString(values));
        System.out.printf(
                "%s: %s%n",
                values.getFileName(),
                manifests.stream()
                        .map(m -> m.get("kind") + "/" + at(m, "metadata", "name"))
                        .toList());

        Map<String, Object> deployment = one(manifests, "Deployment");
        Map<String, Object> pod = at(deployment, "spec", "template", "spec");
        Map<String, Object> container = first(at(pod, "containers"));

        // One driver, never two on the same checkpoint.
        assertThat((Object) at(deployment, "spec", "replicas")).isEqualTo(1);
        assertThat((Object) at(deployment, "spec", "strategy", "type")).isEqualTo("Recreate");

        // Credentials come from a Secret, never as plain values or in the ConfigMap.
        String secretName = Objects.toString(nested(scenario, "secrets", "existingSecret"), "sluice");
        if (secretName.isEmpty()) {
            secretName = "sluice";
        }
        for (String variable : List.of(
                "SPRING_DATASOURCE_PASSWORD",
                "SLUICE_SECURITY_API_TOKEN",
                "SLUICE_SECURITY_VIEWER_TOKENS",
                "SLUICE_SECURITY_OPERATOR_TOKENS",
                "SLUICE_SECURITY_ADMIN_TOKENS")) {
            Map<String, Object> env = env(container, variable);
            assertThat(env).as(variable).doesNotContainKey("value");
            assertThat((Object) at(env, "valueFrom", "secretKeyRef", "name"))
                    .as(variable)
                    .isEqualTo(secretName);
        }
        boolean chartSecret = manifests.stream().anyMatch(m -> "Secret".equals(m.get("kind")));
        assertThat(chartSecret)
                .as("the chart makes a Secret only without existingSecret")
                .isEqualTo(secretName.equals("sluice"));
        String applicationYml = at(one(manifests, "ConfigMap", "sluice"), "data", "application.yml");
        assertThat(applicationYml.toLowerCase()).doesNotContain("password").doesNotContain("token");

        // The probes are the Actuator paths this service answers, with 200 when healthy.
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            String path = at(container, probe, "httpGet", "path");
            assertThat(path).startsWith("/actuator/health/");
            assertThat(rest.getForEntity(path, String.class).getStatusCode())
                    .as("%s %s", probe, path)
                    .isEqualTo(HttpStatus.OK);
        }
        assertThat((String) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat((String) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");

        // Restricted: non-root with a fixed UID, nothing to escalate, read-only root with writable /tmp.
        assertThat((Object) at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(((Number) at(pod, "securityContext", "runAsUser")).intValue())
                .isPositive();
        assertThat((Object) at(container, "securityContext", "allowPrivilegeEscalation"))
                .isEqualTo(false);
        assertThat((Object) at(container, "securityContext", "readOnlyRootFilesystem"))
                .isEqualTo(true);
        assertThat((List<Object>) at(container, "securityContext", "capabilities", "drop"))
                .containsExactly("ALL");
        assertThat(((List<Map<String, Object>>) at(container, "volumeMounts"))
                        .stream().map(m -> m.get("mountPath")))
                .contains("/tmp", "/app/config");

        // The ConfigMap binds to the service's own settings, and the grace period covers a stop.
        SluiceProperties properties = bind(applicationYml);
        int grace = ((Number) at(pod, "terminationGracePeriodSeconds")).intValue();
        assertThat(Duration.ofSeconds(grace))
                .isGreaterThan(properties.stopTimeout().plusSeconds(5));

        // Executor RBAC exists exactly when the queries run on Kubernetes executors.
        boolean kubernetes = Boolean.TRUE.equals(nested(scenario, "spark", "kubernetesExecutors", "enabled"));
        assertThat(properties.spark().master().startsWith("k8s://")).isEqualTo(kubernetes);
        assertThat(manifests.stream().filter(m -> List.of("Role", "RoleBinding").contains(m.get("kind"))))
                .hasSize(kubernetes ? 2 : 0);
        if (kubernetes) {
            List<Map<String, Object>> rules = at(one(manifests, "Role"), "rules");
            assertThat(rules).anySatisfy(rule -> {
                assertThat((List<Object>) rule.get("resources")).contains("pods");
                assertThat((List<Object>) rule.get("verbs")).contains("create", "delete", "watch");
            });
            assertThat(properties.checkpointRoot()).startsWith("hdfs://");
            assertThat(properties.spark().config())
                    .containsEntry("spark.driver.host", "sluice-driver.streaming.svc")
                    .containsKey("spark.kubernetes.container.image")
                    .containsKey("spark.executor.instances");
            String templateYaml = at(one(manifests, "ConfigMap", "sluice"), "data", "executor-pod-template.yaml");
            Map<String, Object> template = new Yaml().load(templateYaml);
            assertThat((Object) at(template, "spec", "securityContext", "runAsNonRoot"))
                    .isEqualTo(true);
            // Spark loads the template with its fabric8 client (6.7.2) and sends each executor pod built
            // on it. Under Jackson 2.19+ that client cannot write a field its model does not know
            // (fabric8io/kubernetes-client#7036): every field of the template must be one it knows.
            io.fabric8.kubernetes.api.model.Pod executor = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                    templateYaml, io.fabric8.kubernetes.api.model.Pod.class);
            assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(executor))
                    .contains("\"readOnlyRootFilesystem\":true");
            assertThat((Object) at(pod, "automountServiceAccountToken")).isEqualTo(true);
        } else {
            assertThat((Object) at(pod, "automountServiceAccountToken")).isEqualTo(false);
        }
        Map<String, Object> headless = one(manifests, "Service", "sluice-driver");
        assertThat((Object) at(headless, "spec", "clusterIP")).isEqualTo("None");

        // Every dashboard ships, unchanged, in a ConfigMap Grafana's sidecar picks up.
        try (Stream<Path> files = Files.list(Path.of("grafana-dashboards"))) {
            for (Path dashboard :
                    files.filter(file -> file.toString().endsWith(".json")).toList()) {
                String name = dashboard.getFileName().toString();
                Map<String, Object> configMap = manifests.stream()
                        .filter(m -> "ConfigMap".equals(m.get("kind"))
                                && m.get("data") instanceof Map<?, ?> data
                                && data.containsKey(name))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no ConfigMap holds " + name));
                assertThat((Object) at(configMap, "metadata", "labels", "grafana_dashboard"))
                        .isEqualTo("1");
                assertThat(((String) at(configMap, "data", name)).strip())
                        .isEqualTo(Files.readString(dashboard).strip());
            }
        }
        if (Boolean.TRUE.equals(nested(scenario, "metrics", "prometheusRule", "enabled"))) {
            List<Map<String, Object>> groups = at(one(manifests, "PrometheusRule"), "spec", "groups");
            Map<String, Object> shipped =
                    new Yaml().load(Files.readString(Path.of("grafana-dashboards", "sluice-alerts.yml")));
            assertThat(groups).isEqualTo(shipped.get("groups"));
        }
    }

    private static SluiceProperties bind(String yaml) throws IOException {
        List<PropertySource<?>> sources = new YamlPropertySourceLoader()
                .load("application.yml", new ByteArrayResource(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return new Binder(ConfigurationPropertySources.from(sources)).bindOrCreate("sluice", SluiceProperties.class);
    }

    private static Map<String, Object> one(List<Map<String, Object>> manifests, String kind) {
        List<Map<String, Object>> found =
                manifests.stream().filter(m -> kind.equals(m.get("kind"))).toList();
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> one(List<Map<String, Object>> manifests, String kind, String name) {
        return manifests.stream()
                .filter(m -> kind.equals(m.get("kind")) && name.equals(at(m, "metadata", "name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static Map<String, Object> env(Map<String, Object> container, String name) {
        List<Map<String, Object>> env = at(container, "env");
        return env.stream()
                .filter(e -> name.equals(e.get("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static Map<String, Object> first(List<Map<String, Object>> list) {
        assertThat(list).isNotEmpty();
        return list.get(0);
    }

    private static Object nested(Map<String, Object> map, String... path) {
        Object current = map;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> m)) {
                return null;
            }
            current = m.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> map, String... path) {
        Object value = nested(map, path);
        assertThat(value).as(String.join(".", path)).isNotNull();
        return (T) value;
    }
}
