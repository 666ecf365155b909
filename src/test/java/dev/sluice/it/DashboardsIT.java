package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.Prometheus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana dashboards and the alert rules, run for real: a Prometheus server scrapes this
 * Sluice while both pipelines carry data, then every panel's query and every alert expression goes
 * through Prometheus' HTTP API. Any query that is invalid or returns no series fails the test.
 */
class DashboardsIT extends IntegrationTest {

    private static final Path DASHBOARDS = Path.of("grafana-dashboards");
    private static final Path ALERTS = DASHBOARDS.resolve("sluice-alerts.yml");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What Grafana puts in place of its variables, with "All" selected. */
    private static final Map<String, String> VARIABLES = Map.of(
            "$__rate_interval",
            "1m",
            "$__interval",
            "15s",
            "$__range",
            "5m",
            "${instance}",
            ".+",
            "$instance",
            ".+",
            "${query}",
            ".+",
            "$query",
            ".+");

    private static final Pattern METRIC = Pattern.compile("\\b((?:sluice|jvm|process|system)_[a-z0-9_]+)\\b");

    @LocalServerPort
    private int port;

    @Test
    void everyPanelAndEveryAlertQueryReturnsSeriesFromARealPrometheus(@TempDir Path work) throws Exception {
        String run = "dash-" + UUID.randomUUID().toString().substring(0, 8);
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            values.add(CarInfoEvent.of(
                            run + "-" + i,
                            "T" + (i % 13),
                            Instant.parse("2026-11-21T07:00:00Z").plusSeconds(i),
                            127.0,
                            37.5,
                            30 + i % 40,
                            i % 360,
                            "1" + i % 4)
                    .toJson()
                    .getBytes(StandardCharsets.UTF_8));
        }
        values.add("{not json".getBytes(StandardCharsets.UTF_8));
        produce(POSTGRES_TOPIC, values);
        produce(HDFS_TOPIC, values);
        assertThat(post("/api/queries/" + POSTGRES_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        assertThat(post("/api/queries/" + HDFS_PIPELINE + "/start").getStatusCode())
                .isEqualTo(HttpStatus.OK);
        await().atMost(DEADLINE)
                .until(() -> jdbc.queryForObject(
                                "SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "-%")
                        == 300);
        System.gc(); // so the driver has a GC pause to show

        assertThat(new ProcessBuilder(Prometheus.promtool().toString(), "check", "rules", ALERTS.toString())
                        .inheritIO()
                        .start()
                        .waitFor())
                .as("promtool check rules")
                .isZero();

        try (Prometheus prometheus =
                Prometheus.start("127.0.0.1:" + port, "/actuator/prometheus", List.of(ALERTS), work)) {
            // A rate needs two samples in its window; wait for a few scrapes of both pipelines.
            await().atMost(DEADLINE)
                    .pollInterval(1, TimeUnit.SECONDS)
                    .until(() -> prometheus
                                    .query(
                                            "min(count_over_time(sluice_query_input_rows_total[1m])) >= 5 and count(sluice_query_input_rows_total) >= 2")
                                    .path("result")
                                    .size()
                            > 0);
            produce(POSTGRES_TOPIC, values.subList(0, 50)); // more batches inside the rate windows

            List<String> report = new ArrayList<>();
            int panels = 0;
            for (Path file : dashboardFiles()) {
                JsonNode dashboard = JSON.readTree(file.toFile());
                checkVariables(prometheus, file, dashboard);
                for (JsonNode panel : panels(dashboard)) {
                    for (JsonNode target : panel.path("targets")) {
                        String expr = substitute(target.path("expr").asText());
                        JsonNode data = prometheus.query(expr);
                        int series = data.path("result").size();
                        report.add("%-20s %-45s %s %3d series"
                                .formatted(
                                        file.getFileName(),
                                        panel.path("title").asText(),
                                        target.path("refId").asText(),
                                        series));
                        assertThat(series)
                                .as(
                                        "%s / %s / %s: %s",
                                        file.getFileName(),
                                        panel.path("title").asText(),
                                        target.path("refId").asText(),
                                        expr)
                                .isPositive();
                    }
                    panels++;
                }
            }
            for (Map<String, Object> rule : alertRules()) {
                String expr = rule.get("expr").toString();
                prometheus.query(expr); // valid: throws with Prometheus' error otherwise
                Set<String> metrics = metricNames(expr);
                assertThat(metrics)
                        .as("alert %s reads a Sluice metric", rule.get("alert"))
                        .isNotEmpty();
                for (String metric : metrics) {
                    int series = prometheus.query(metric).path("result").size();
                    report.add("%-20s %-45s %s %3d series".formatted("alert", rule.get("alert"), metric, series));
                    assertThat(series)
                            .as("alert %s reads %s", rule.get("alert"), metric)
                            .isPositive();
                }
            }
            // Prometheus itself evaluates the loaded rules without error.
            await().atMost(DEADLINE).pollInterval(1, TimeUnit.SECONDS).untilAsserted(() -> {
                List<JsonNode> loaded = new ArrayList<>();
                prometheus
                        .get("/api/v1/rules")
                        .at("/data/groups")
                        .forEach(group -> group.path("rules").forEach(loaded::add));
                assertThat(loaded).hasSize(alertRules().size());
                for (JsonNode rule : loaded) {
                    assertThat(rule.path("health").asText())
                            .as("%s: %s", rule.path("name"), rule.path("lastError"))
                            .isEqualTo("ok");
                }
            });
            report.add(
                    0,
                    "Checked " + panels + " panels in " + dashboardFiles().size() + " dashboards and "
                            + alertRules().size() + " alert rules against Prometheus");
            Files.write(Path.of("target", "dashboard-check.txt"), report);
            report.forEach(System.out::println);
        }
    }

    @Test
    void everyDashboardHasAFixedUidAndTheDatasourceInstanceAndQueryVariables() throws IOException {
        assertThat(dashboardFiles()).hasSizeGreaterThanOrEqualTo(2);
        Set<String> uids = new LinkedHashSet<>();
        for (Path file : dashboardFiles()) {
            JsonNode dashboard = JSON.readTree(file.toFile());
            assertThat(dashboard.path("uid").asText()).as(file.toString()).matches("sluice-[a-z-]+");
            uids.add(dashboard.path("uid").asText());
            List<String> names = new ArrayList<>();
            dashboard
                    .at("/templating/list")
                    .forEach(variable -> names.add(variable.path("name").asText()));
            assertThat(names).as(file.toString()).contains("datasource", "instance", "query");
            for (JsonNode panel : panels(dashboard)) {
                assertThat(panel.at("/datasource/uid").asText())
                        .as(panel.path("title").asText())
                        .isEqualTo("${datasource}");
                assertThat(panel.path("targets").size())
                        .as(panel.path("title").asText())
                        .isPositive();
            }
        }
        assertThat(uids).as("unique uids").hasSize(dashboardFiles().size());
    }

    private static void checkVariables(Prometheus prometheus, Path file, JsonNode dashboard) throws Exception {
        for (String label : List.of("instance", "query")) {
            JsonNode values = prometheus.get("/api/v1/label/" + label + "/values?match[]=sluice_query_state");
            assertThat(values.path("data").size())
                    .as("%s: values of $%s", file.getFileName(), label)
                    .isPositive();
        }
    }

    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                panel.path("panels").forEach(panels::add);
            } else {
                panels.add(panel);
            }
        }
        return panels;
    }

    private static String substitute(String expr) {
        String result = expr;
        for (Map.Entry<String, String> variable : VARIABLES.entrySet().stream()
                .sorted((a, b) -> b.getKey().length() - a.getKey().length())
                .toList()) {
            result = result.replace(variable.getKey(), variable.getValue());
        }
        assertThat(result).as("every variable replaced in %s", expr).doesNotContain("$");
        return result;
    }

    private static Set<String> metricNames(String expr) {
        Set<String> names = new LinkedHashSet<>();
        Matcher matcher = METRIC.matcher(expr);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(ALERTS));
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        return rules;
    }

    private static List<Path> dashboardFiles() throws IOException {
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            return files.filter(file -> file.toString().endsWith(".json"))
                    .sorted()
                    .toList();
        }
    }
}
