package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The {@code /api/pipelines} contract: precise refusals, read-only pipelines, and a definition that outlives the service. */
class PipelineApiIT extends IntegrationTest {

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void anInvalidDefinitionIsA400NamingTheFieldAndTheSqlPosition() {
        ResponseEntity<JsonNode> response = send(HttpMethod.POST, "/api/pipelines", """
                {"name": "bad-sql", "source": {"kind": "rate"}, "transform": {"sql": "SELECT value,\\n  vlaue FROM events"},
                 "sink": {"kind": "console"}}""");

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        JsonNode body = response.getBody();
        assertThat(body.path("type").asText()).isEqualTo("urn:sluice:problem:invalid-definition");
        JsonNode error = body.path("errors").get(0);
        assertThat(error.path("field").asText()).isEqualTo("transform.sql");
        assertThat(error.path("message").asText())
                .startsWith(
                        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `vlaue` cannot be resolved");
        assertThat(error.path("line").asInt()).isEqualTo(2);
        assertThat(error.path("position").asInt()).isEqualTo(2);
        assertThat(get("/api/pipelines/bad-sql").getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);

        ResponseEntity<JsonNode> unknownKind = send(
                HttpMethod.POST,
                "/api/pipelines",
                "{\"name\": \"bad-kind\", \"source\": {\"kind\": \"kinesis\"}, \"sink\": {\"kind\": \"console\"}}");
        assertThat(unknownKind.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(unknownKind.getBody().path("detail").asText())
                .isEqualTo("Invalid value 'kinesis' for 'source.kind'; expected one of [kafka, file, rate]");
    }

    @Test
    void theOpenApiDocumentHasAValidExampleForEachPipelineKind() throws Exception {
        ResponseEntity<JsonNode> docs = get("/v3/api-docs");

        assertThat(docs.getStatusCode()).isEqualTo(HttpStatus.OK);
        JsonNode paths = docs.getBody().path("paths");
        assertThat(paths.has("/api/pipelines")).isTrue();
        assertThat(paths.path("/api/pipelines/{name}").has("put")).isTrue();
        assertThat(paths.path("/api/pipelines/{name}").has("delete")).isTrue();
        assertThat(paths.path("/api/queries/{name}/rows").has("get")).isTrue();
        JsonNode examples = paths.path("/api/pipelines")
                .path("post")
                .path("requestBody")
                .path("content")
                .path("application/json")
                .path("examples");
        assertThat(examples.fieldNames())
                .toIterable()
                .containsExactlyInAnyOrder(
                        "kafka-to-postgres-upsert",
                        "kafka-dedup-to-kafka",
                        "kafka-to-memory",
                        "files-to-parquet",
                        "rate-to-console");
        Path logs = Files.createDirectories(work.resolve("weblogs"));
        for (var example : (Iterable<java.util.Map.Entry<String, JsonNode>>) examples::fields) {
            // The file example reads a folder relative to the working directory; point it at one that exists.
            JsonNode value = example.getValue().path("value");
            String body = (value.isTextual() ? value.asText() : value.toString())
                    .replace("./data/weblogs", logs.toUri().toString());

            ResponseEntity<JsonNode> dryRun = send(HttpMethod.POST, "/api/pipelines?dryRun=true", body);

            assertThat(dryRun.getStatusCode())
                    .as(example.getKey() + ": " + dryRun.getBody())
                    .isEqualTo(HttpStatus.OK);
            assertThat(dryRun.getBody().path("columns").size())
                    .as(example.getKey())
                    .isPositive();
            // Each example keeps state or writes elsewhere than PostgreSQL: Spark's operators run it.
            assertThat(dryRun.getBody().path("engine").path("shape").asText())
                    .as(example.getKey())
                    .isEqualTo("general");
            if (example.getKey().equals("kafka-to-postgres-upsert")) {
                assertThat(dryRun.getBody()
                                .path("engine")
                                .path("generalBecause")
                                .asText())
                        .isEqualTo("the transform keeps state (a watermark or de-duplication)");
            }
            assertThat(get("/api/pipelines/" + json.readTree(body).path("name").asText())
                            .getStatusCode())
                    .as("a dry run creates nothing")
                    .isEqualTo(HttpStatus.NOT_FOUND);
        }
    }

    @Test
    void builtInPipelinesAreReadOnlyDefinitionsLikeAnyOther() {
        ResponseEntity<JsonNode> response = send(HttpMethod.DELETE, "/api/pipelines/" + POSTGRES_PIPELINE, null);

        assertThat(response.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
        assertThat(response.getBody().path("type").asText()).isEqualTo("urn:sluice:problem:pipeline-read-only");
        assertThat(response.getBody().path("detail").asText()).contains("is built in");
        JsonNode view = get("/api/pipelines/" + POSTGRES_PIPELINE).getBody();
        assertThat(view.path("origin").asText()).isEqualTo("built-in");
        assertThat(view.path("editable").asBoolean()).isFalse();
        // Its definition, from its settings, is one a user could post, and runs on the fused shape.
        JsonNode definition = view.path("definition");
        assertThat(definition.path("source").path("topics").get(0).asText()).isEqualTo(POSTGRES_TOPIC);
        assertThat(definition.path("sink").path("table").asText()).isEqualTo("car_info_table");
        assertThat(definition.path("sink").path("onConflict").asText()).isEqualTo("ignore");
        // Its checks are expectations that quarantine, named by their dead letters' reasons.
        assertThat(definition.path("expectations").findValuesAsText("name"))
                .containsExactly("MISSING_DATA_ID", "OUT_OF_RANGE", "FIELD_TOO_LONG", "INVALID_CHARACTER");
        assertThat(definition.path("expectations").findValuesAsText("action")).containsOnly("quarantine");
        assertThat(view.path("engine").path("shape").asText()).isEqualTo("fused");
        ResponseEntity<JsonNode> dryRun = send(
                HttpMethod.POST,
                "/api/pipelines?dryRun=true",
                definition.toString().replace(POSTGRES_PIPELINE, "my-car-info"));
        assertThat(dryRun.getStatusCode()).as(dryRun.getBody().toString()).isEqualTo(HttpStatus.OK);
        assertThat(dryRun.getBody().path("engine").path("shape").asText()).isEqualTo("fused");
        // The Parquet built-in too: every field, the event's date from its GPS time or else its
        // Kafka timestamp, as few files per micro-batch as its rows-per-file allows.
        JsonNode parquet = get("/api/pipelines/" + HDFS_PIPELINE).getBody();
        assertThat(parquet.path("origin").asText()).isEqualTo("built-in");
        assertThat(parquet.at("/definition/source/metadata/kafka_timestamp").asText())
                .isEqualTo("timestamp");
        assertThat(parquet.at("/definition/sink/kind").asText()).isEqualTo("parquet");
        assertThat(parquet.at("/definition/sink/partitionBy/0").asText()).isEqualTo("event_date");
        assertThat(parquet.at("/definition/sink/rowsPerFile").asLong()).isEqualTo(250_000);
        assertThat(parquet.at("/engine/shape").asText()).isEqualTo("general");
        assertThat(parquet.at("/engine/generalBecause").asText()).isEqualTo("the sink is not postgres");
    }

    @Test
    void aPipelineCreatedOverTheApiSurvivesARestartAndResumesFromItsCheckpoint() throws Exception {
        String run = "api" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "_readings";
        Infrastructure.ensureTopic(topic);
        jdbc.execute("CREATE DATABASE " + run);
        String databaseUrl =
                "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/" + run;
        JdbcTemplate database = new JdbcTemplate(new DriverManagerDataSource(databaseUrl, "postgres", "postgres"));
        String definition = """
                {"name": "readings", "autoStart": true,
                 "source": {"kind": "kafka", "topics": ["%s"], "startingOffsets": "latest", "schema": "id STRING, reading INT"},
                 "rules": [{"reason": "NEGATIVE_READING", "require": "reading >= 0"}],
                 "transform": {"sql": "SELECT id, reading * 10 AS scaled FROM events"},
                 "sink": {"kind": "postgres", "table": "readings", "keyColumns": ["id"], "createTable": true},
                 "trigger": {"interval": "1 second"}}""".formatted(topic);

        ServiceProcess service = startService(databaseUrl, run, 1);
        try {
            HttpResponse<String> created = service.send("POST", "/api/pipelines", definition);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(json.readTree(created.body()).path("ddl").asText()).isEqualTo("""
                    CREATE TABLE IF NOT EXISTS readings (
                        id text NOT NULL,
                        scaled integer,
                        PRIMARY KEY (id)
                    )""");
            // A projection over JSON from Kafka into PostgreSQL: decoded and copied in the task that reads it.
            assertThat(json.readTree(created.body())
                            .path("engine")
                            .path("shape")
                            .asText())
                    .isEqualTo("fused");
            // "latest" is fixed by the first micro-batch: only records after it are read.
            await().atMost(DEADLINE)
                    .until(() -> json.readTree(service.get("/api/queries/readings"))
                            .path("lastProgress")
                            .has("batchId"));
            produce(topic, readings(0, 3));
            await().atMost(DEADLINE)
                    .until(() -> database.queryForObject("SELECT count(*) FROM readings", Long.class) == 3);

            HttpResponse<String> whileRunning = service.send("PUT", "/api/pipelines/readings", definition);
            assertThat(whileRunning.statusCode()).isEqualTo(409);
            assertThat(json.readTree(whileRunning.body()).path("type").asText())
                    .isEqualTo("urn:sluice:problem:pipeline-running");
        } finally {
            service.kill();
        }

        // Sent while the service is down: read only if the query resumes from its checkpoint.
        produce(topic, readings(3, 6));
        produce(topic, List.of("{\"id\": \"r-bad\", \"reading\": -1}".getBytes(StandardCharsets.UTF_8)));
        // Kept by an earlier release that had no SQL policy or file roots: never run by this one.
        database.update(
                "INSERT INTO sluice.pipeline_definition (pipeline, definition) VALUES (?, ?::jsonb), (?, ?::jsonb)",
                "leaky",
                "{\"name\": \"leaky\", \"source\": {\"kind\": \"rate\"}, \"transform\": {\"sql\":"
                        + " \"SELECT java_method('java.lang.System', 'getenv', 'SPRING_DATASOURCE_PASSWORD') AS p FROM events\"},"
                        + " \"sink\": {\"kind\": \"memory\"}}",
                "etc-reader",
                "{\"name\": \"etc-reader\", \"source\": {\"kind\": \"file\", \"path\": \"/etc\", \"format\": \"text\"},"
                        + " \"sink\": {\"kind\": \"memory\"}}");
        ServiceProcess restarted = startService(databaseUrl, run, 2);
        try {
            for (String[] stored : List.of(
                    new String[] {"leaky", "transform.sql", "the function java_method is not allowed"},
                    new String[] {"etc-reader", "source.path", "'/etc' is outside the folders pipelines may use"})) {
                assertThat(restarted
                                .send("GET", "/api/pipelines/" + stored[0], null)
                                .statusCode())
                        .isEqualTo(200);
                HttpResponse<String> start = restarted.send("POST", "/api/queries/" + stored[0] + "/start", null);
                assertThat(start.statusCode()).as(start.body()).isEqualTo(409);
                JsonNode problem = json.readTree(start.body());
                assertThat(problem.path("type").asText()).isEqualTo("urn:sluice:problem:pipeline-invalid");
                assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo(stored[1]);
                assertThat(problem.path("errors").get(0).path("message").asText())
                        .contains(stored[2]);
                assertThat(restarted.get("/api/queries/" + stored[0] + "/rows")).doesNotContain("\"p\"");
                assertThat(restarted
                                .send("POST", "/api/queries/" + stored[0] + "/stop", null)
                                .statusCode())
                        .isIn(200, 409);
            }

            JsonNode view = json.readTree(restarted.get("/api/pipelines/readings"));
            assertThat(view.path("origin").asText()).isEqualTo("api");
            assertThat(view.path("definition").path("transform").path("sql").asText())
                    .isEqualTo("SELECT id, reading * 10 AS scaled FROM events");
            await().atMost(DEADLINE)
                    .until(() -> database.queryForObject("SELECT count(*) FROM readings", Long.class) == 6);
            assertThat(database.queryForList("SELECT scaled FROM readings ORDER BY id", Integer.class))
                    .containsExactly(0, 10, 20, 30, 40, 50);
            await().atMost(DEADLINE)
                    .until(() -> database.queryForObject(
                                    "SELECT count(*) FROM sluice.dead_letter WHERE pipeline = 'readings' AND reason = 'NEGATIVE_READING'",
                                    Long.class)
                            == 1);

            // A stateless query may change its projection and keep its checkpoint; a new source may not.
            assertThat(restarted
                            .send("POST", "/api/queries/readings/stop", null)
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> newSource =
                    restarted.send("PUT", "/api/pipelines/readings", definition.replace(topic, topic + "_v2"));
            assertThat(newSource.statusCode()).isEqualTo(409);
            assertThat(json.readTree(newSource.body()).path("detail").asText())
                    .contains("the source is another one (its offsets are in the checkpoint)");
            HttpResponse<String> newProjection = restarted.send(
                    "PUT", "/api/pipelines/readings", definition.replace("reading * 10", "reading * 100"));
            assertThat(newProjection.statusCode()).as(newProjection.body()).isEqualTo(200);

            assertThat(restarted
                            .send("DELETE", "/api/pipelines/readings?deleteCheckpoint=true", null)
                            .statusCode())
                    .isEqualTo(204);
            assertThat(restarted.send("GET", "/api/pipelines/readings", null).statusCode())
                    .isEqualTo(404);
        } finally {
            restarted.kill();
        }
    }

    private ServiceProcess startService(String databaseUrl, String run, int generation) throws Exception {
        return ServiceProcess.start(
                work.resolve("service-" + generation + ".log"),
                "postgres",
                serviceArguments(
                        databaseUrl,
                        work,
                        run + "_car_info",
                        "--sluice.pipelines.car-info-to-hdfs.path="
                                + work.resolve("car_info").toUri()),
                DEADLINE);
    }

    private static List<byte[]> readings(int from, int to) {
        return IntStream.range(from, to)
                .mapToObj(i -> ("{\"id\": \"r" + i + "\", \"reading\": " + i + "}").getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    private ResponseEntity<JsonNode> send(HttpMethod method, String path, String body) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        return rest.exchange(path, method, new HttpEntity<>(body, headers), JsonNode.class);
    }
}
