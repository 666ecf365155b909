package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.support.IntegrationTest;
import dev.sluice.support.ServiceProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The packaged service on databases that are not empty: one a team filled by hand (its own
 * {@code car_info_table} without a key, tables of its own, some with Sluice's table names), and
 * one laid out by the last release (Sluice's tables in {@code public}). Sluice's tables go into
 * their own schema, every row stays, and the built-in pipeline adopts the existing table: it adds
 * the unique key when the rows allow it, and otherwise refuses to run (the service still does)
 * naming the duplicate keys.
 */
class ExistingDatabaseIT extends IntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATUS = "/api/queries/car-info-to-postgres";

    @TempDir
    Path work;

    private ServiceProcess service;

    @AfterEach
    void stopService() throws InterruptedException {
        if (service != null) {
            service.kill();
        }
    }

    @Test
    void aTeamsOwnTableIsAdoptedOnceItsDuplicateKeysAreMendedAndNothingElseIsTouched() throws Exception {
        String run = "adopt" + UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic(run);
        JdbcTemplate db = newDatabase(run);
        db.execute("CREATE TABLE car_info_table (data_id varchar(64), trmncd varchar(64), detclot double precision,"
                + " detclat double precision, gpsutctime double precision, vhclesped double precision,"
                + " vhcletypecd varchar(32))");
        db.execute("INSERT INTO car_info_table VALUES ('old-1', 'T1', 127.0, 37.5, 1.0, 10.0, '1'),"
                + " ('old-2', 'T2', 127.1, 37.6, 2.0, 20.0, '2'), ('dup-1', 'T3', 1, 1, 1, 1, '1'),"
                + " ('dup-1', 'T3', 2, 2, 2, 2, '1'), ('dup-2', 'T4', 1, 1, 1, 1, '1'),"
                + " ('dup-2', 'T4', 2, 2, 2, 2, '1'), ('dup-2', 'T4', 3, 3, 3, 3, '1')");
        db.execute("CREATE TABLE vehicles (id integer PRIMARY KEY, plate text)");
        db.execute("INSERT INTO vehicles VALUES (1, '12가3456'), (2, '34나5678')");
        // The team's own tables with names Sluice uses for its own: they stay the team's.
        db.execute("CREATE TABLE audit_log (happened text)");
        db.execute("INSERT INTO audit_log VALUES ('the team''s own entry')");
        db.execute("CREATE TABLE dead_letter (note text)");
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 0, 200)));

        startService(run, topic);

        // The service runs; the pipeline does not, says why, and waits for an operator.
        await().atMost(DEADLINE).until(() -> status().at("/restart/gaveUp").asBoolean());
        JsonNode refused = status();
        assertThat(refused.path("state").asText()).isEqualTo("FAILED");
        assertThat(refused.at("/failure/message").asText())
                .contains("The table car_info_table has no unique key on (data_id)")
                .contains("2 keys are held by more than one row")
                .contains("data_id = 'dup-2' (3 rows), data_id = 'dup-1' (2 rows)")
                .contains("DELETE FROM car_info_table a USING car_info_table b WHERE a.data_id = b.data_id");
        HttpResponse<String> start = service.send("POST", STATUS + "/start", null);
        assertThat(start.statusCode()).as(start.body()).isEqualTo(409);
        JsonNode problem = JSON.readTree(start.body());
        assertThat(problem.path("type").asText()).endsWith("pipeline-refused");
        assertThat(problem.path("detail").asText()).contains("data_id = 'dup-2' (3 rows)");
        assertThat(count(db, "car_info_table")).isEqualTo(7);

        // The operator keeps one row per key, as the problem says, and starts it again.
        assertThat(db.update("DELETE FROM car_info_table a USING car_info_table b"
                        + " WHERE a.data_id = b.data_id AND a.ctid < b.ctid"))
                .isEqualTo(3);
        start = service.send("POST", STATUS + "/start", null);
        assertThat(start.statusCode()).as(start.body()).isEqualTo(200);
        await().atMost(DEADLINE)
                .until(() -> db.queryForObject(
                                "SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "-%")
                        == 200);
        assertThat(count(db, "car_info_table")).isEqualTo(204);
        assertThat(db.queryForList(
                        "SELECT data_id, trmncd, vhclesped FROM car_info_table WHERE data_id LIKE 'old-%' ORDER BY 1"))
                .containsExactly(
                        Map.of("data_id", "old-1", "trmncd", "T1", "vhclesped", 10.0),
                        Map.of("data_id", "old-2", "trmncd", "T2", "vhclesped", 20.0));
        assertThat(db.queryForList(
                        "SELECT conname FROM pg_constraint WHERE conrelid = 'public.car_info_table'::regclass"
                                + " AND contype = 'u'",
                        String.class))
                .containsExactly("car_info_table_data_id_key");

        // The team's tables are as they were; Sluice's are in its schema.
        assertThat(db.queryForList("SELECT plate FROM vehicles ORDER BY id", String.class))
                .containsExactly("12가3456", "34나5678");
        assertThat(db.queryForList("SELECT happened FROM public.audit_log", String.class))
                .containsExactly("the team's own entry");
        assertThat(count(db, "public.dead_letter")).isZero();
        assertThat(db.queryForObject(
                        "SELECT count(*) FROM sluice.audit_log WHERE action = 'start' AND pipeline = ?",
                        Long.class,
                        "car-info-to-postgres"))
                .isEqualTo(2);
        assertThat(tableSchemas(db, "flyway_schema_history")).containsExactly("sluice");
    }

    @Test
    void aDatabaseLaidOutByTheLastReleaseMovesIntoSluicesSchemaWithEveryRow() throws Exception {
        String run = "legacy" + UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic(run);
        JdbcTemplate db = newDatabase(run);
        // The last release's layout, one migration behind its last (as after an upgrade skipped).
        Flyway.configure()
                .dataSource(databaseUrl(run), "postgres", "postgres")
                .locations("classpath:db/legacy")
                .placeholders(Map.of("car_info_table", "car_info_table", "dead_letter_table", "dead_letter"))
                .target("4")
                .load()
                .migrate();
        db.execute("INSERT INTO car_info_table (data_id, trmncd) VALUES ('kept-1', 'T1'), ('kept-2', 'T2')");
        db.execute("INSERT INTO dead_letter (pipeline, topic, kafka_partition, kafka_offset, reason, detail, raw_value)"
                + " VALUES ('car-info-to-postgres', 'car_info', 0, 7, 'MALFORMED_JSON', 'old one', 'not json'::bytea),"
                + " ('car-info-to-postgres', 'car_info', 1, 9, 'OUT_OF_RANGE', 'old two', '{}'::bytea)");
        db.execute(
                "INSERT INTO pipeline_definition (pipeline, definition) VALUES ('kept-rate', '{\"name\": \"kept-rate\","
                        + " \"source\": {\"kind\": \"rate\", \"rowsPerSecond\": 1}, \"transform\": {\"sql\": \"SELECT value FROM"
                        + " events\"}, \"sink\": {\"kind\": \"memory\"}}')");
        db.execute("INSERT INTO pipeline_control (pipeline, desired_state) VALUES ('kept-rate', 'STOPPED')");
        db.execute("INSERT INTO audit_log (actor, action, method, path, status, outcome)"
                + " VALUES ('operator-1', 'stop', 'POST', '/api/queries/kept-rate/stop', 200, 'ok')");
        produce(topic, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 0, 50)));

        startService(run, topic);

        await().atMost(DEADLINE)
                .until(() -> db.queryForObject(
                                "SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "-%")
                        == 50);
        assertThat(db.queryForList(
                        "SELECT data_id FROM car_info_table WHERE data_id LIKE 'kept-%' ORDER BY 1", String.class))
                .containsExactly("kept-1", "kept-2");
        for (String table : List.of("dead_letter", "pipeline_definition", "pipeline_control", "audit_log")) {
            assertThat(tableSchemas(db, table)).as(table).containsExactly("sluice");
        }
        assertThat(tableSchemas(db, "car_info_table")).containsExactly("public");
        assertThat(db.queryForList(
                        "SELECT version FROM sluice.legacy_schema_history ORDER BY installed_rank", String.class))
                .containsExactly("1", "2", "3", "4", "5");
        assertThat(db.queryForList(
                        "SELECT version || ' ' || type FROM sluice.flyway_schema_history ORDER BY installed_rank",
                        String.class))
                .first()
                .isEqualTo("1 BASELINE");

        // Through the API, as an operator sees them: the old dead letters, the stored definition
        // still stopped, the audit trail with its old entry.
        JsonNode deadLetters = JSON.readTree(service.get("/api/dead-letters?pipeline=car-info-to-postgres"));
        assertThat(deadLetters.path("items").findValuesAsText("detail")).contains("old one", "old two");
        assertThat(deadLetters.path("items").findValuesAsText("value")).contains("not json");
        JsonNode kept = JSON.readTree(service.get("/api/queries/kept-rate"));
        assertThat(kept.path("state").asText()).isEqualTo("STOPPED");
        assertThat(kept.path("desired").asText()).isEqualTo("STOPPED");
        assertThat(db.queryForObject("SELECT count(*) FROM sluice.audit_log WHERE actor = 'operator-1'", Long.class))
                .isEqualTo(1);
        // New dead letters go on in the moved table, its sequence with it.
        produce(topic, List.of("not json either".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        await().atMost(DEADLINE)
                .until(() -> db.queryForObject("SELECT count(*) FROM sluice.dead_letter", Long.class) == 3);
    }

    @Test
    void aBuiltInPipelineThatFailsItsCheckStopsTheServiceNamingTheField() throws Exception {
        // A built-in is checked like any definition at every start; one that fails stops the service.
        String run = "refused" + UUID.randomUUID().toString().substring(0, 8);
        String topic = newTopic(run);
        newDatabase(run);

        String log = ServiceProcess.refusedStart(
                work.resolve("service.log"),
                "postgres",
                arguments(run, topic, "--sluice.pipelines.car-info-to-postgres.table=pg_catalog.car_info"),
                DEADLINE);

        assertThat(log)
                .contains("car-info-to-postgres")
                .contains("sink.table")
                .contains("the schema pg_catalog is PostgreSQL's own")
                .doesNotContain("Started SluiceApplication")
                .doesNotContain("Tomcat started");
    }

    /** The packaged service on the database {@code run}, its PostgreSQL pipeline reading {@code topic}. */
    private void startService(String run, String topic) throws IOException {
        service = ServiceProcess.startAnswering(
                work.resolve("service.log"),
                "postgres",
                arguments(
                        run,
                        topic,
                        "--sluice.pipelines.car-info-to-postgres.trigger=1s",
                        "--sluice.pipelines.car-info-to-hdfs.auto-start=false"),
                DEADLINE);
    }

    /** The service's arguments on the database {@code run}, its pipelines reading {@code topic}, and {@code more}. */
    private List<String> arguments(String run, String topic, String... more) {
        List<String> arguments = new ArrayList<>(List.of(more));
        arguments.add("--sluice.pipelines.car-info-to-hdfs.path="
                + work.resolve("car_info").toUri());
        return serviceArguments(databaseUrl(run), work, topic, arguments.toArray(String[]::new));
    }

    private JsonNode status() throws IOException {
        String body = service.get(STATUS);
        return body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
    }

    private static long count(JdbcTemplate db, String table) {
        return db.queryForObject("SELECT count(*) FROM " + table, Long.class);
    }

    private static List<String> tableSchemas(JdbcTemplate db, String table) {
        return db.queryForList(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = ? ORDER BY 1",
                String.class,
                table);
    }
}
