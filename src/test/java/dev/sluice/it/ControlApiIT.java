package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.RawHttp;
import dev.sluice.support.ServiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The packaged service with role tokens and a JWT issuer's key, as a production deployment runs it:
 * the role matrix over every endpoint and the audit rows it leaves; the hostile inputs users
 * found, refused with precise 400s and no trace; and a seeded fuzz of the whole API with no 5xx
 * and a problem body on every 4xx.
 */
class ControlApiIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(ControlApiIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VIEWER = "viewer-" + UUID.randomUUID();
    private static final String OPERATOR = "operator-" + UUID.randomUUID();
    private static final String ADMIN = "admin-" + UUID.randomUUID();
    private static final String RATE_PIPELINE = """
            {"name": "%s", "source": {"kind": "rate", "rowsPerSecond": 1}, "transform": {"sql": "SELECT value FROM events"},
             "sink": {"kind": "memory"}, "trigger": {"kind": "processing-time", "interval": "1 second"}}""";

    private static ServiceProcess service;
    private static KeyPair issuer;
    private static JdbcTemplate database;
    private static Path serviceLog;

    @BeforeAll
    static void startService() throws Exception {
        String run = "ctl" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "_car_info";
        Infrastructure.ensureTopic(topic);
        String url = "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/postgres";
        new JdbcTemplate(new DriverManagerDataSource(url, "postgres", "postgres")).execute("CREATE DATABASE " + run);
        String databaseUrl =
                "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/" + run;
        database = new JdbcTemplate(new DriverManagerDataSource(databaseUrl, "postgres", "postgres"));
        Path work = Files.createDirectories(Path.of("target", run));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        issuer = generator.generateKeyPair();
        Path publicKey = work.resolve("issuer.pem");
        Files.writeString(
                publicKey,
                "-----BEGIN PUBLIC KEY-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                .encodeToString(issuer.getPublic().getEncoded())
                        + "\n-----END PUBLIC KEY-----\n");
        serviceLog = work.resolve("service.log");
        service = ServiceProcess.startAnswering(
                serviceLog,
                "postgres",
                serviceArguments(
                        databaseUrl,
                        work,
                        topic,
                        "--sluice.pipelines.car-info-to-postgres.auto-start=false",
                        "--sluice.pipelines.car-info-to-hdfs.auto-start=false",
                        "--sluice.pipelines.car-info-to-hdfs.path="
                                + work.resolve("car_info").toUri(),
                        "--sluice.pipelines.file-roots=" + work.resolve("files").toAbsolutePath(),
                        "--sluice.security.viewer-tokens=" + VIEWER,
                        "--sluice.security.operator-tokens=" + OPERATOR,
                        "--sluice.security.admin-tokens=" + ADMIN,
                        "--spring.security.oauth2.resourceserver.jwt.public-key-location=" + publicKey.toUri(),
                        "--spring.security.oauth2.resourceserver.jwt.audiences=sluice"),
                DEADLINE);
    }

    @AfterAll
    static void stopService() throws InterruptedException {
        if (service != null) {
            service.kill();
        }
    }

    /** A caller of the matrix: the header it sends (or none), and its role (null: no valid credential). */
    private record Caller(String name, String authorization, String role, String actor) {}

    /** An endpoint of the matrix and the least role it needs. */
    private record Endpoint(String method, String path, String body, String role) {}

    @Test
    void theRoleMatrixHoldsAndEveryActionAndRefusalIsAudited() throws Exception {
        String pipeline = "matrix-" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(call("POST", "/api/pipelines", RATE_PIPELINE.formatted(pipeline), "Bearer " + ADMIN)
                        .status())
                .isEqualTo(201);
        String created = "matrix-new-" + UUID.randomUUID().toString().substring(0, 6);
        List<Caller> callers = List.of(
                new Caller("no credential", null, null, "anonymous"),
                new Caller("wrong token", "Bearer not-a-token", null, "anonymous"),
                new Caller(
                        "expired JWT",
                        "Bearer " + jwt("alice", List.of("admin"), Instant.now().minusSeconds(600)),
                        null,
                        "anonymous"),
                new Caller(
                        "JWT for another audience",
                        "Bearer "
                                + jwt("mallory", List.of("admin"), Instant.now().plusSeconds(600), "billing"),
                        null,
                        "anonymous"),
                new Caller("viewer token", "Bearer " + VIEWER, "viewer", "viewer-1"),
                new Caller(
                        "viewer JWT",
                        "Bearer "
                                + jwt("victor", List.of("viewer"), Instant.now().plusSeconds(600)),
                        "viewer",
                        "jwt:victor"),
                new Caller("operator token", "Bearer " + OPERATOR, "operator", "operator-1"),
                new Caller(
                        "operator JWT",
                        "Bearer "
                                + jwt("olga", List.of("operator"), Instant.now().plusSeconds(600)),
                        "operator",
                        "jwt:olga"),
                new Caller("admin token", "Bearer " + ADMIN, "admin", "admin-1"),
                new Caller(
                        "admin JWT",
                        "Bearer "
                                + jwt(
                                        "ada",
                                        List.of("viewer", "admin"),
                                        Instant.now().plusSeconds(600)),
                        "admin",
                        "jwt:ada"));
        List<Endpoint> endpoints = List.of(
                new Endpoint("GET", "/api/queries", null, "viewer"),
                new Endpoint("GET", "/api/queries/" + pipeline, null, "viewer"),
                new Endpoint("GET", "/api/queries/" + pipeline + "/progress", null, "viewer"),
                new Endpoint("GET", "/api/queries/" + pipeline + "/offsets", null, "viewer"),
                new Endpoint("GET", "/api/queries/" + pipeline + "/rows", null, "viewer"),
                new Endpoint("GET", "/api/pipelines", null, "viewer"),
                new Endpoint("GET", "/api/pipelines/" + pipeline, null, "viewer"),
                new Endpoint("GET", "/api/pipelines/" + pipeline + "/status", null, "viewer"),
                new Endpoint("POST", "/api/queries/" + pipeline + "/start", null, "operator"),
                new Endpoint("POST", "/api/queries/" + pipeline + "/stop", null, "operator"),
                new Endpoint("POST", "/api/queries/" + pipeline + "/reset", "{\"from\": \"earliest\"}", "operator"),
                new Endpoint("POST", "/api/pipelines/" + pipeline + "/reset", "{\"from\": \"latest\"}", "operator"),
                new Endpoint("POST", "/api/pipelines?dryRun=true", RATE_PIPELINE.formatted(created), "admin"),
                new Endpoint("POST", "/api/pipelines", RATE_PIPELINE.formatted(created), "admin"),
                new Endpoint("PUT", "/api/pipelines/" + created, RATE_PIPELINE.formatted(created), "admin"),
                new Endpoint("DELETE", "/api/pipelines/" + created, null, "admin"),
                new Endpoint("GET", "/api/audit?limit=5", null, "admin"));
        List<String> roles = List.of("viewer", "operator", "admin");
        long auditBefore = database.queryForObject("SELECT count(*) FROM sluice.audit_log", Long.class);

        Map<String, Integer> matrix = new TreeMap<>();
        List<Object[]> expectedAudit = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            for (Caller caller : callers) {
                RawHttp.Answer answer =
                        call(endpoint.method(), endpoint.path(), endpoint.body(), caller.authorization());
                matrix.put(endpoint.method() + " " + endpoint.path() + " / " + caller.name(), answer.status());
                String why = endpoint.method() + " " + endpoint.path() + " as " + caller.name() + ": " + answer.text();
                if (caller.role() == null) {
                    assertThat(answer.status()).as(why).isEqualTo(401);
                } else if (roles.indexOf(caller.role()) < roles.indexOf(endpoint.role())) {
                    assertThat(answer.status()).as(why).isEqualTo(403);
                    assertThat(JSON.readTree(answer.body()).path("detail").asText())
                            .as(why)
                            .contains("The " + caller.role() + " role may not", "it needs " + endpoint.role());
                } else {
                    assertThat(answer.status()).as(why).isNotIn(401, 403).isLessThan(500);
                }
                if (answer.status() >= 400) {
                    assertThat(answer.headers().get("content-type")).as(why).startsWith("application/problem+json");
                }
                boolean refused = answer.status() == 401 || answer.status() == 403;
                if (!endpoint.method().equals("GET") || refused) {
                    expectedAudit.add(new Object[] {
                        caller.actor(), endpoint.method(), endpoint.path().replaceAll("\\?.*", ""), answer.status()
                    });
                }
            }
        }
        StringBuilder table = new StringBuilder("\n| endpoint | needs |");
        callers.forEach(caller -> table.append(' ').append(caller.name()).append(" |"));
        for (Endpoint endpoint : endpoints) {
            table.append("\n| ")
                    .append(endpoint.method())
                    .append(' ')
                    .append(endpoint.path().replace(pipeline, "{p}").replace(created, "{new}"))
                    .append(" | ")
                    .append(endpoint.role())
                    .append(" |");
            callers.forEach(caller -> table.append(' ')
                    .append(matrix.get(endpoint.method() + " " + endpoint.path() + " / " + caller.name()))
                    .append(" |"));
        }
        log.info("Role matrix (HTTP status per endpoint and caller):{}", table);
        assertThat(matrix.get("POST /api/pipelines / admin token")).isEqualTo(201);
        assertThat(matrix.get("DELETE /api/pipelines/" + created + " / admin token"))
                .isEqualTo(204);
        assertThat(matrix.get("POST /api/queries/" + pipeline + "/start / operator token"))
                .isEqualTo(200);

        List<Map<String, Object>> audit = database.queryForList(
                "SELECT actor, role, action, pipeline, method, path, parameters, status, outcome, definition FROM sluice.audit_log ORDER BY id OFFSET ?",
                auditBefore);
        assertThat(audit).hasSize(expectedAudit.size());
        for (int i = 0; i < audit.size(); i++) {
            Map<String, Object> row = audit.get(i);
            Object[] expected = expectedAudit.get(i);
            assertThat(Arrays.asList(row.get("actor"), row.get("method"), row.get("path"), row.get("status")))
                    .as("audit row %d: %s", i, row)
                    .containsExactly(expected);
            int status = (Integer) row.get("status");
            assertThat(row.get("outcome"))
                    .isEqualTo(status == 401 || status == 403 ? "refused" : status < 400 ? "ok" : "failed");
        }
        Map<String, Object> create = audit.stream()
                .filter(row -> "create".equals(row.get("action")) && "admin-1".equals(row.get("actor")))
                .findFirst()
                .orElseThrow();
        assertThat(create.get("pipeline")).isEqualTo(created);
        assertThat(create.get("role")).isEqualTo("admin");
        assertThat(JSON.readTree((String) create.get("definition"))
                        .path("source")
                        .path("kind")
                        .asText())
                .isEqualTo("rate");
        assertThat(audit)
                .anySatisfy(row -> assertThat(Arrays.asList(row.get("action"), row.get("parameters")))
                        .containsExactly("dry-run", "dryRun=true"));

        JsonNode trail =
                JSON.readTree(call("GET", "/api/audit?pipeline=" + created + "&limit=1000", null, "Bearer " + ADMIN)
                        .body());
        assertThat(trail).isNotEmpty();
        assertThat(trail)
                .allSatisfy(entry -> assertThat(entry.path("pipeline").asText()).isEqualTo(created));
        assertThat(trail.get(0).path("action").asText()).isEqualTo("delete");

        String everything = database.queryForList("SELECT audit_log::text FROM sluice.audit_log", String.class)
                + Files.readString(serviceLog);
        for (String secret : List.of(VIEWER, OPERATOR, ADMIN, "not-a-token")) {
            assertThat(everything)
                    .as("a credential in the audit trail or the log")
                    .doesNotContain(secret);
        }
        call("POST", "/api/queries/" + pipeline + "/stop", null, "Bearer " + ADMIN);
        call("DELETE", "/api/pipelines/" + pipeline + "?deleteCheckpoint=true", null, "Bearer " + ADMIN);
    }

    @Test
    void theHostileInputsUsersFoundAreRefusedPreciselyAndLeaveNoTrace() throws Exception {
        String bearer = "Bearer " + ADMIN;
        Map<String, String[]> definitions = new LinkedHashMap<>();
        definitions.put(
                "INSERT OVERWRITE DIRECTORY 'probe' USING parquet SELECT 1",
                new String[] {"transform.sql", "INSERT OVERWRITE DIRECTORY"});
        definitions.put(
                "CREATE TABLE t USING parquet LOCATION 'probe2' AS SELECT 1",
                new String[] {"transform.sql", "a transform is one query"});
        definitions.put(
                "SET spark.sql.session.timeZone=America/Los_Angeles",
                new String[] {"transform.sql", "the statement is not a query"});
        definitions.put(
                "SELECT java_method('java.lang.System','getenv','SPRING_DATASOURCE_PASSWORD') AS p FROM events",
                new String[] {"transform.sql", "the function java_method is not allowed"});
        definitions.put(
                "SELECT reflect('java.lang.System','getenv','SPRING_DATASOURCE_PASSWORD') AS p FROM events",
                new String[] {"transform.sql", "the function reflect is not allowed"});
        definitions.put(
                "SELECT * FROM events CROSS JOIN text.`/etc/hostname`",
                new String[] {"transform.sql", "the query reads `text./etc/hostname`"});
        definitions.put(
                "(".repeat(3000) + "SELECT 1" + ")".repeat(3000),
                new String[] {"transform.sql", "nests brackets 3000 deep"});
        for (Map.Entry<String, String[]> hostile : definitions.entrySet()) {
            for (String query : List.of("?dryRun=true", "")) {
                String body = JSON.createObjectNode()
                        .put("name", "hostile")
                        .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                                "source", JSON.createObjectNode().put("kind", "rate"))
                        .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                                "transform", JSON.createObjectNode().put("sql", hostile.getKey()))
                        .set("sink", JSON.createObjectNode().put("kind", "memory"))
                        .toString();
                RawHttp.Answer answer = call("POST", "/api/pipelines" + query, body, bearer);
                assertThat(answer.status()).as(answer.text()).isEqualTo(400);
                JsonNode error = JSON.readTree(answer.body()).path("errors").get(0);
                assertThat(error.path("field").asText()).isEqualTo(hostile.getValue()[0]);
                assertThat(error.path("message").asText()).contains(hostile.getValue()[1]);
            }
        }
        Map<String, String[]> places = new LinkedHashMap<>();
        places.put(
                "{\"name\": \"hostile-etc\", \"source\": {\"kind\": \"file\", \"path\": \"/etc\", \"format\": \"text\"}, \"sink\": {\"kind\": \"memory\"}}",
                new String[] {"source.path", "'/etc' is outside the folders pipelines may use"});
        places.put(
                "{\"name\": \"hostile-out\", \"source\": {\"kind\": \"rate\"}, \"sink\": {\"kind\": \"parquet\", \"path\": \"target/../probe3\"}}",
                new String[] {"sink.path", "is outside the folders pipelines may use"});
        places.put(
                "{\"name\": \"hostile-audit\", \"source\": {\"kind\": \"rate\"}, \"transform\": {\"sql\": \"SELECT 'x' AS actor FROM events\"},"
                        + " \"sink\": {\"kind\": \"postgres\", \"table\": \"sluice.audit_log\"}}",
                new String[] {"sink.table", "the schema sluice is Sluice's own"});
        for (Map.Entry<String, String[]> hostile : places.entrySet()) {
            RawHttp.Answer answer = call("POST", "/api/pipelines?dryRun=true", hostile.getKey(), bearer);
            assertThat(answer.status()).as(answer.text()).isEqualTo(400);
            JsonNode error = JSON.readTree(answer.body()).path("errors").get(0);
            assertThat(error.path("field").asText()).isEqualTo(hostile.getValue()[0]);
            assertThat(error.path("message").asText()).contains(hostile.getValue()[1]);
        }
        assertThat(Path.of("probe3")).doesNotExist();
        RawHttp.Answer nul = call(
                "POST",
                "/api/pipelines",
                RATE_PIPELINE.formatted("hostile-nul").replace("\"name\"", "\"description\": \"a\\u0000b\", \"name\""),
                bearer);
        assertThat(nul.status()).as(nul.text()).isEqualTo(400);
        assertThat(JSON.readTree(nul.body()).path("errors").get(0).path("field").asText())
                .isEqualTo("description");
        String unusual = "caf\u00e9 \ud83d\ude80 tab\t bell\u0007 \u202e quote\" backslash\\ <script>";
        String faithful = RATE_PIPELINE
                .formatted("unusual-text")
                .replace("\"name\"", "\"description\": " + JSON.writeValueAsString(unusual) + ", \"name\"");
        RawHttp.Answer stored = call("POST", "/api/pipelines", faithful, bearer);
        assertThat(stored.status()).as(stored.text()).isEqualTo(201);
        assertThat(JSON.readTree(call("GET", "/api/pipelines/unusual-text", null, bearer)
                                .body())
                        .path("definition")
                        .path("description")
                        .asText())
                .isEqualTo(unusual);
        assertThat(database.queryForObject(
                        "SELECT definition ->> 'description' FROM sluice.pipeline_definition WHERE pipeline = 'unusual-text'",
                        String.class))
                .isEqualTo(unusual);
        call("DELETE", "/api/pipelines/unusual-text", null, bearer);
        RawHttp.Answer overflow = call(
                "POST",
                "/api/pipelines",
                RATE_PIPELINE.formatted("hostile-interval").replace("\"1 second\"", "\"1000000000 days\""),
                bearer);
        assertThat(overflow.status()).as(overflow.text()).isEqualTo(400);
        assertThat(JSON.readTree(overflow.body())
                        .path("errors")
                        .get(0)
                        .path("field")
                        .asText())
                .isEqualTo("trigger.interval");

        assertThat(Path.of("probe")).doesNotExist();
        assertThat(Path.of("probe2")).doesNotExist();
        assertThat(Path.of("spark-warehouse")).doesNotExist();
        assertThat(JSON.readTree(call("GET", "/api/pipelines", null, bearer).body())
                        .findValuesAsText("name"))
                .doesNotContain("hostile", "hostile-nul", "hostile-interval");

        // What the framework answers on its own, each a problem.
        for (String[] request : List.of(
                new String[] {"POST", "/api/pipelines", "*/*", "400|415"},
                new String[] {"GET", "/error", null, "404"},
                new String[] {"DELETE", "/error", null, "404"},
                new String[] {"PATCH", "/error", null, "404"},
                new String[] {"GET", "/api/queries/%25", null, "400"},
                new String[] {"GET", "/api/queries;x=1", null, "400"},
                new String[] {"GET", "/api//queries", null, "400"},
                new String[] {"GET", "/api/queries/../pipelines", null, "400"},
                new String[] {"GET", "/api/queries\\x", null, "400"},
                new String[] {"GET", "/api/queries/a%2Fb", null, "400"},
                new String[] {"GET", "/api/queries/%FF", null, "400"},
                new String[] {"GET", "/WEB-INF/web.xml", null, "404"})) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Authorization", bearer);
            if (request[2] != null) {
                headers.put("Content-Type", request[2]);
            }
            RawHttp.Answer answer = RawHttp.send(
                    service.port(),
                    request[0],
                    request[1],
                    headers,
                    request[0].equals("POST") ? RATE_PIPELINE.formatted("ct").getBytes(StandardCharsets.UTF_8) : null);
            String why = request[0] + " " + request[1] + ": " + answer.status() + " " + answer.headers() + " "
                    + answer.text();
            assertThat(String.valueOf(answer.status())).as(why).matches(request[3]);
            assertThat(answer.headers().get("content-type")).as(why).startsWith("application/problem+json");
            assertThat(JSON.readTree(answer.body()).path("status").asInt())
                    .as(why)
                    .isEqualTo(answer.status());
        }
    }

    /**
     * A few thousand seeded requests of random methods, paths, headers, content types and bodies:
     * none is a 5xx, every 4xx has a problem body, and the service is still up afterwards.
     */
    @Test
    void aSeededFuzzOfTheWholeApiGetsNoServerErrorAndAProblemForEveryRefusal() throws Exception {
        long seed = Long.getLong("fuzz.seed", 20261129L);
        int requests = Integer.getInteger("fuzz.requests", 2500);
        Random random = new Random(seed);
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "POST", "POST", "GET"};
        String[] names = {
            "car-info-to-postgres",
            "car-info-to-hdfs",
            "fuzz-a",
            "nope",
            "Bad_Name",
            "a".repeat(70),
            "%00",
            "..",
            "%2e%2e",
            "x;y",
            "%25",
            "\u00e9",
            "%FF",
            "-",
            "1",
            "car-info-to-postgres%2Fstart"
        };
        String[] templates = {
            "/api/queries",
            "/api/queries/{n}",
            "/api/queries/{n}/start",
            "/api/queries/{n}/stop",
            "/api/queries/{n}/reset",
            "/api/queries/{n}/offsets",
            "/api/queries/{n}/progress?limit={i}",
            "/api/queries/{n}/rows?limit={i}",
            "/api/pipelines",
            "/api/pipelines?dryRun=true",
            "/api/pipelines/{n}",
            "/api/pipelines/{n}?resetCheckpoint={b}",
            "/api/pipelines/{n}?deleteCheckpoint={b}",
            "/api/audit?limit={i}",
            "/api/audit?since={s}",
            "/api/audit?pipeline={n}",
            "/error",
            "/actuator/health",
            "/actuator/env",
            "/v3/api-docs",
            "/",
            "/WEB-INF/web.xml",
            "/api",
            "/api/",
            "/api/queries//{n}",
            "/api/queries/{n}/..",
            "/api\\queries"
        };
        String[] contentTypes = {
            "application/json",
            "application/json",
            "application/json",
            "*/*",
            "text/plain",
            "application/xml",
            "garbage",
            "multipart/form-data; boundary=x",
            "application/json; charset=ebcdic",
            "application/x-www-form-urlencoded",
            null
        };
        String[] accepts = {
            "*/*", "application/json", "text/html", "application/xml", "garbage/", null, "application/problem+json"
        };
        String[] values = {"0", "-1", "99999999999999999999", "true", "x", "", "%00", "1e308", "2026-13-45", "NaN"};
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < requests; i++) {
            String method = methods[random.nextInt(methods.length)];
            String path = templates[random.nextInt(templates.length)]
                    .replace("{n}", names[random.nextInt(names.length)])
                    .replace("{i}", values[random.nextInt(values.length)])
                    .replace("{b}", values[random.nextInt(values.length)])
                    .replace(
                            "{s}",
                            random.nextBoolean() ? "2026-11-29T00:00:00Z" : values[random.nextInt(values.length)]);
            Map<String, String> headers = new LinkedHashMap<>();
            int credential = random.nextInt(10);
            headers.put(
                    "Authorization",
                    credential < 7
                            ? "Bearer " + ADMIN
                            : credential == 7 ? "Bearer " + VIEWER : credential == 8 ? "Bearer x" : "Basic Og==");
            String contentType = contentTypes[random.nextInt(contentTypes.length)];
            if (contentType != null) {
                headers.put("Content-Type", contentType);
            }
            String accept = accepts[random.nextInt(accepts.length)];
            if (accept != null) {
                headers.put("Accept", accept);
            }
            byte[] body = method.equals("POST") || method.equals("PUT") || random.nextInt(10) == 0
                    ? body(random, path)
                    : null;
            RawHttp.Answer answer = RawHttp.send(service.port(), method, path, headers, body);
            statuses.merge(answer.status(), 1, Integer::sum);
            String why = "request " + i + ": " + method + " " + path + " " + headers.keySet() + " -> " + answer.status()
                    + " " + answer.text();
            assertThat(answer.status()).as(why).isLessThan(500);
            if (answer.status() >= 400 && !method.equals("HEAD")) {
                assertThat(answer.headers().get("content-type")).as(why).startsWith("application/problem+json");
                assertThat(JSON.readTree(answer.body()).path("status").asInt())
                        .as(why)
                        .isEqualTo(answer.status());
            }
        }
        log.info("Fuzz (seed {}, {} requests): statuses {}", seed, requests, statuses);
        assertThat(service.get("/actuator/health/liveness")).contains("\"UP\"");
        for (JsonNode pipeline : JSON.readTree(
                call("GET", "/api/pipelines", null, "Bearer " + ADMIN).body())) {
            if (pipeline.path("editable").asBoolean()) {
                call(
                        "DELETE",
                        "/api/pipelines/" + pipeline.path("name").asText() + "?deleteCheckpoint=true",
                        null,
                        "Bearer " + ADMIN);
            }
        }
    }

    /** A body for a fuzzed request: a definition with one field made hostile, or arbitrary bytes. */
    private static byte[] body(Random random, String path) {
        int kind = random.nextInt(8);
        if (kind == 0) {
            byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            return bytes;
        }
        if (kind == 1) {
            return "{\"from\": \"earliest\"}".getBytes(StandardCharsets.UTF_8);
        }
        if (kind == 2) {
            return ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8);
        }
        String[] hostile = {
            "\"\\u0000\"",
            "\"" + "x".repeat(30_000) + "\"",
            "12345678901234567890",
            "-1",
            "null",
            "[]",
            "{}",
            "true",
            "\"SELECT reflect('java.lang.System','exit',1) FROM events\"",
            "\"1000000000 days\"",
            "\"" + "(".repeat(2000) + "\"",
            "\"rate\"",
            "\"kafka\"",
            "\"\\ud800\"",
            "\"-- comment\"",
            "\"SELECT * FROM events\"",
            "\"${env:HOME}\""
        };
        String[] fields = {
            "name",
            "description",
            "autoStart",
            "outputMode",
            "source.kind",
            "source.topics",
            "source.schema",
            "source.path",
            "source.rowsPerSecond",
            "transform.sql",
            "transform.eventTime",
            "transform.watermark",
            "sink.kind",
            "sink.table",
            "sink.path",
            "sink.key",
            "trigger.kind",
            "trigger.interval",
            "rules",
            "unknownField"
        };
        String field = fields[random.nextInt(fields.length)];
        String value = hostile[random.nextInt(hostile.length)];
        Map<String, String> source = new LinkedHashMap<>(Map.of("kind", "\"rate\""));
        Map<String, String> transform = new LinkedHashMap<>(Map.of("sql", "\"SELECT value FROM events\""));
        Map<String, String> sink = new LinkedHashMap<>(Map.of("kind", "\"memory\""));
        Map<String, String> trigger =
                new LinkedHashMap<>(Map.of("kind", "\"processing-time\"", "interval", "\"1 second\""));
        Map<String, String> top = new LinkedHashMap<>();
        top.put("name", "\"fuzz-" + random.nextInt(1000) + "\"");
        top.put("autoStart", "false");
        String[] parts = field.split("\\.");
        Map<String, String> target = switch (parts[0]) {
            case "source" -> source;
            case "transform" -> transform;
            case "sink" -> sink;
            case "trigger" -> trigger;
            default -> top;
        };
        target.put(parts[parts.length - 1], value);
        String json = "{" + object(top) + (top.isEmpty() ? "" : ", ") + "\"source\": {" + object(source)
                + "}, \"transform\": {" + object(transform) + "}, \"sink\": {" + object(sink) + "}, \"trigger\": {"
                + object(trigger) + "}}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String object(Map<String, String> fields) {
        return String.join(
                ", ",
                fields.entrySet().stream()
                        .map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                        .toList());
    }

    private static RawHttp.Answer call(String method, String path, String body, String authorization) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        if (authorization != null) {
            headers.put("Authorization", authorization);
        }
        if (body != null) {
            headers.put("Content-Type", "application/json");
        }
        return RawHttp.send(
                service.port(), method, path, headers, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static String jwt(String subject, List<String> roles, Instant expires) throws Exception {
        return jwt(subject, roles, expires, "sluice");
    }

    private static String jwt(String subject, List<String> roles, Instant expires, String audience) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .build(),
                new JWTClaimsSet.Builder()
                        .subject(subject)
                        .audience(audience)
                        .claim("roles", roles)
                        .issueTime(Date.from(expires.minus(Duration.ofHours(1))))
                        .expirationTime(Date.from(expires))
                        .build());
        jwt.sign(new RSASSASigner((RSAPrivateKey) issuer.getPrivate()));
        return jwt.serialize();
    }
}
