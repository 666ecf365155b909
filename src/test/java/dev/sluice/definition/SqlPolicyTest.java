package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.support.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import scala.collection.JavaConverters;

/**
 * A hostile corpus against the whole check a definition goes through: each text is refused with a
 * 400's field and message, and the corpus leaves no trace (no file, folder, table, view or setting).
 */
class SqlPolicyTest {

    private static final ObjectMapper JSON =
            JsonMapper.builder().addModule(new JavaTimeModule()).build();
    private static final Path WORK = Path.of("target/sql-policy");
    private static final PipelineEnvironment ENVIRONMENT = new PipelineEnvironment(
            "127.0.0.1:9",
            Map.of(),
            WORK.resolve("checkpoints").toString(),
            new JdbcTarget("jdbc:postgresql://127.0.0.1:9/none", "none", null, 1),
            "sluice.dead_letter",
            new MemoryTables());
    private static final String RATE = "{\"kind\": \"rate\"}";
    private static final String GETENV = "java_method('java.lang.System', 'getenv', 'SPRING_DATASOURCE_PASSWORD')";
    private static Set<String> filesBefore;
    private static Map<String, String> settingsBefore;

    @BeforeAll
    static void before() throws IOException {
        filesBefore = files();
        settingsBefore = settings(TestSpark.session());
    }

    static Stream<Arguments> hostileSql() {
        return Stream.of(
                sql("INSERT OVERWRITE DIRECTORY 'probe' USING parquet SELECT 1", "INSERT OVERWRITE DIRECTORY"),
                sql(
                        "CREATE TABLE t USING parquet LOCATION 'probe2' AS SELECT 1",
                        "the statement is CreateTableAsSelect: a transform is one query"),
                sql(
                        "SET spark.sql.session.timeZone=America/Los_Angeles",
                        "the statement is not a query: a transform is one query"),
                sql("RESET", "the statement is not a query"),
                sql("CACHE TABLE events", "the statement is CacheTable: a transform is one query"),
                sql("ADD JAR /tmp/evil.jar", "the statement is not a query"),
                sql("CREATE TEMPORARY FUNCTION f AS 'com.example.Evil'", "the statement is not a query"),
                sql("DROP TABLE car_info_table", "the statement is DropTable"),
                sql("INSERT INTO t SELECT * FROM events", "the statement is InsertIntoStatement"),
                sql("DELETE FROM t WHERE true", "the statement is DeleteFromTable"),
                sql("CREATE VIEW v AS SELECT * FROM events", "the statement is not a query"),
                sql("SHOW TABLES", "the statement is ShowTables"),
                sql("DESCRIBE TABLE events", "the statement is DescribeRelation"),
                sql("USE other", "the statement is SetCatalogAndNamespace"),
                sql("EXPLAIN SELECT * FROM events", "the statement is not a query"),
                sql("DECLARE VARIABLE v INT", "PARSE_SYNTAX_ERROR"),
                sql("SELECT * FROM events; DROP TABLE t", "PARSE_SYNTAX_ERROR"),
                sql(
                        "SELECT " + GETENV + " AS p FROM events",
                        "the function java_method is not allowed: it calls any Java method"),
                sql(
                        "SELECT reflect('java.lang.System', 'getenv', 'HOME') AS p FROM events",
                        "the function reflect is not allowed"),
                sql(
                        "SELECT try_reflect('java.lang.System', 'getenv', 'HOME') AS p FROM events",
                        "the function try_reflect is not allowed"),
                sql(
                        "SELECT REFLECT('java.lang.Runtime', 'getRuntime') AS p FROM events",
                        "the function reflect is not allowed"),
                sql(
                        "SELECT transform(array(1), x -> " + GETENV + ") AS p FROM events",
                        "the function java_method is not allowed"),
                sql(
                        "SELECT value FROM events WHERE value IN (SELECT length(" + GETENV + ") FROM events)",
                        "the function java_method is not allowed"),
                sql(
                        "SELECT sum(value) OVER w AS s FROM events WINDOW w AS (PARTITION BY " + GETENV + ")",
                        "the function java_method is not allowed"),
                sql(
                        "SELECT xpath_string('<a>1</a>', 'a') AS p FROM events",
                        "the function xpath_string is not allowed: it parses XML"),
                sql(
                        "SELECT current_user() AS p FROM events",
                        "the function current_user is not allowed: it reveals the server's identity"),
                sql("SELECT current_user AS p FROM events", "the expression current_user is not allowed"),
                sql("SELECT user() AS p FROM events", "the function user is not allowed"),
                sql("SELECT version() AS p FROM events", "the function version is not allowed"),
                sql(
                        "SELECT raise_error('stop') AS p FROM events",
                        "the function raise_error is not allowed: it fails the micro-batch"),
                sql("SELECT assert_true(value < 0) AS p FROM events", "the function assert_true is not allowed"),
                sql(
                        "SELECT default.evil(value) AS p FROM events",
                        "the function default.evil is not one of Spark's built-in functions"),
                sql(
                        "SELECT evil(value) AS p FROM events",
                        "the function evil is not one of Spark's built-in functions"),
                sql(
                        "SELECT IDENTIFIER('reflect')('java.lang.System', 'getenv', 'HOME') AS p FROM events",
                        "IDENTIFIER(...) names a function"),
                sql("SELECT * FROM events CROSS JOIN text.`/etc/hostname`", "the query reads `text./etc/hostname`"),
                sql("SELECT * FROM parquet.`/tmp`", "the query reads `parquet./tmp`"),
                sql("SELECT * FROM json.`file:///etc/passwd`", "the query reads `json.file:///etc/passwd`"),
                sql("SELECT * FROM car_info_table", "the query reads `car_info_table`"),
                sql("SELECT * FROM spark_catalog.default.t", "the query reads `spark_catalog.default.t`"),
                sql("SELECT * FROM global_temp.v", "the query reads `global_temp.v`"),
                sql("SELECT * FROM IDENTIFIER('text.`/etc/hostname`')", "IDENTIFIER(...) names a relation"),
                sql("SELECT * FROM range(10)", "the query reads the table function range"),
                sql(
                        "SELECT * FROM events WHERE value > (SELECT max(value) FROM text.`/etc`)",
                        "the query reads `text./etc`"),
                sql("WITH e AS (SELECT * FROM csv.`/etc/passwd`) SELECT * FROM e", "the query reads `csv./etc/passwd`"),
                sql(
                        "SELECT TRANSFORM(value) USING 'cat' AS (v) FROM events",
                        "TRANSFORM ... USING runs a program on the server; a pipeline may not"),
                sql("SELECT /*+ REPARTITION(100000) */ * FROM events", "the hint REPARTITION is not allowed"),
                sql(
                        "(".repeat(3000) + "SELECT 1" + ")".repeat(3000),
                        "nests brackets 3000 deep; at most 40 levels are allowed"),
                sql(
                        "SELECT " + "abs(".repeat(41) + "value" + ")".repeat(41) + " AS v FROM events",
                        "nests brackets 41 deep"),
                sql("SELECT " + "1 + ".repeat(4000) + "value AS v FROM events", "nest"),
                sql(
                        "SELECT " + "CASE WHEN value > 0 THEN ".repeat(400) + "1" + " END".repeat(400)
                                + " AS v FROM events",
                        "nest"),
                sql(
                        "SELECT value FROM events WHERE " + "value > 0 AND ".repeat(2000) + "true",
                        "characters long; at most 20000 are allowed"),
                sql("SELECT 'a\u0000b' AS v FROM events", "contains a NUL character"),
                sql(
                        "SELECT from_json(CAST(value AS STRING), 'a " + "STRUCT<a: ".repeat(1500) + "INT"
                                + ">".repeat(1500) + "') AS v FROM events",
                        "[FAILED_FUNCTION_CALL] Failed preparing of the function `from_json`"),
                sql(
                        "SELECT CAST(NULL AS " + "STRUCT<a: ".repeat(1500) + "INT" + ">".repeat(1500)
                                + ") AS v FROM events",
                        "nest"));
    }

    static Stream<Arguments> hostileFields() {
        return Stream.of(
                field(
                        "transform.eventTime",
                        "{\"source\": " + RATE + ", \"transform\": {\"eventTime\": \"timestamp_seconds(length(" + GETENV
                                + "))\"}," + " \"sink\": {\"kind\": \"console\"}}",
                        "the function java_method is not allowed"),
                field(
                        "transform.eventTime",
                        "{\"source\": " + RATE
                                + ", \"transform\": {\"eventTime\": \"(SELECT max(timestamp) FROM text.`/etc`)\"},"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        "the query reads `text./etc`"),
                field(
                        "rules[0].require",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"bytes BIGINT\"},"
                                + " \"rules\": [{\"reason\": \"R\", \"require\": \"reflect('java.lang.System', 'exit', 1) IS NULL\"}], \"sink\": {\"kind\": \"console\"}}",
                        "the function reflect is not allowed"),
                field(
                        "sink.key",
                        "{\"source\": " + RATE
                                + ", \"sink\": {\"kind\": \"kafka\", \"topic\": \"out\", \"key\": \"current_user()\"}}",
                        "the function current_user is not allowed"),
                field(
                        "sink.value",
                        "{\"source\": " + RATE + ", \"sink\": {\"kind\": \"kafka\", \"topic\": \"out\", \"value\": \""
                                + GETENV + "\"}}",
                        "the function java_method is not allowed"),
                field(
                        "source.schema",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"a "
                                + "STRUCT<a: ".repeat(300) + "INT" + ">".repeat(300)
                                + "\"}, \"sink\": {\"kind\": \"console\"}}",
                        "nests brackets 300 deep"),
                field(
                        "description",
                        "{\"description\": \"a\\u0000b\", \"source\": " + RATE + ", \"sink\": {\"kind\": \"console\"}}",
                        "contains a NUL character"),
                field(
                        "description",
                        "{\"description\": \"a\\ud800b\", \"source\": " + RATE + ", \"sink\": {\"kind\": \"console\"}}",
                        "contains half of a UTF-16 surrogate pair"),
                field(
                        "trigger.interval",
                        "{\"source\": " + RATE
                                + ", \"sink\": {\"kind\": \"console\"}, \"trigger\": {\"interval\": \"1000000000 days\"}}",
                        "'1000000000 days' is longer than an interval can be"),
                field(
                        "transform.watermark",
                        "{\"source\": " + RATE
                                + ", \"transform\": {\"eventTime\": \"timestamp\", \"watermark\": \"1000000000 days\"},"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        "'1000000000 days' is longer than an interval can be"));
    }

    private static Arguments sql(String sql, String message) {
        ObjectNode definition = JSON.createObjectNode();
        definition.set("source", JSON.createObjectNode().put("kind", "rate"));
        definition.set("transform", JSON.createObjectNode().put("sql", sql));
        definition.set("sink", JSON.createObjectNode().put("kind", "memory"));
        return Arguments.of(
                sql.length() > 120 ? sql.substring(0, 120) + "..." : sql,
                "transform.sql",
                definition.toString(),
                message);
    }

    private static Arguments field(String field, String json, String message) {
        return Arguments.of(
                field + ": " + (json.length() > 120 ? json.substring(0, 120) + "..." : json), field, json, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"hostileSql", "hostileFields"})
    void isRefusedNamingTheField(String description, String field, String json, String message) throws Exception {
        PipelineDefinition definition =
                JSON.readValue(json, PipelineDefinition.class).named("hostile");

        assertThatThrownBy(() -> PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT))
                .isInstanceOfSatisfying(
                        InvalidDefinitionException.class,
                        e -> assertThat(e.problems()).as(e.getMessage()).anySatisfy(problem -> {
                            assertThat(problem.field()).isEqualTo(field);
                            assertThat(problem.message()).contains(message);
                        }));
    }

    static Stream<String> allowedSql() {
        return Stream.of(
                "SELECT value, timestamp FROM events",
                "WITH fast AS (SELECT * FROM events WHERE value > 10), slow AS (SELECT * FROM fast) SELECT value FROM slow",
                "SELECT value, c FROM events LATERAL VIEW explode(array(1, 2)) t AS c",
                "SELECT e.value, v.name FROM events e JOIN VALUES (1, 'one'), (2, 'two') AS v(id, name) ON e.value = v.id",
                "SELECT /*+ BROADCAST(v) */ e.value FROM events e JOIN (SELECT 1 AS id) v ON e.value = v.id",
                "SELECT window.start AS s, count(*) AS n FROM events GROUP BY window(timestamp, '1 minute')",
                "SELECT upper(concat('v', CAST(value AS STRING))) AS v, transform(array(value), x -> x + 1) AS a,"
                        + " CASE WHEN value % 2 = 0 THEN 'even' ELSE 'odd' END AS parity FROM events",
                "SELECT value FROM events WHERE value > 0 UNION ALL SELECT value FROM events WHERE value < 0");
    }

    @ParameterizedTest
    @MethodSource("allowedSql")
    void aQueryOverEventsIsAccepted(String sql) throws Exception {
        ObjectNode definition = JSON.createObjectNode();
        definition.set("source", JSON.createObjectNode().put("kind", "rate"));
        definition.set("transform", JSON.createObjectNode().put("sql", sql));
        definition.set("sink", JSON.createObjectNode().put("kind", "memory"));
        definition.put("outputMode", sql.contains("GROUP BY") ? "complete" : "append");

        PipelinePlanner.validate(
                TestSpark.session(),
                JSON.treeToValue(definition, PipelineDefinition.class).named("allowed"),
                ENVIRONMENT);
    }

    @Test
    void variablesAreNeverSubstituted() throws Exception {
        PipelineDefinition definition = JSON.readValue(
                        "{\"source\": " + RATE + ", \"transform\": {\"sql\": \"SELECT '${env:HOME}' AS h,"
                                + " '${system:java.home}' AS j, '${spark.app.name}' AS n FROM events\"}, \"sink\": {\"kind\": \"memory\"}}",
                        PipelineDefinition.class)
                .named("variables");

        String analyzed = PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT)
                .output()
                .queryExecution()
                .analyzed()
                .toString();

        assertThat(analyzed)
                .contains("${env:HOME}", "${system:java.home}", "${spark.app.name}")
                .doesNotContain(System.getProperty("java.home"), "sluice-unit-tests");
    }

    @Test
    void aFileSourceFolderThatDoesNotExistIsCheckedWithoutBeingCreated() throws Exception {
        Path folder = WORK.resolve("not-yet");
        PipelineDefinition definition = JSON.readValue(
                        "{\"source\": {\"kind\": \"file\", \"path\": \"" + folder + "\", \"format\": \"text\"},"
                                + " \"transform\": {\"sql\": \"SELECT upper(value) AS v FROM events\"}, \"sink\": {\"kind\": \"memory\"}}",
                        PipelineDefinition.class)
                .named("files");

        assertThat(PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT)
                        .schema()
                        .simpleString())
                .isEqualTo("struct<v:string>");
        assertThat(folder).doesNotExist();
    }

    /** Every function in Spark's registry is either allowed or denied with a reason; never both, never neither. */
    @Test
    void theAllowListAndTheDenyListCoverSparksRegistryExactly() {
        Set<String> registry = JavaConverters.seqAsJavaList(
                        FunctionRegistry$.MODULE$.builtin().listFunction())
                .stream()
                .map(FunctionIdentifier::funcName)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> denied = new HashSet<>(SqlFunctions.DENIED.keySet());
        denied.retainAll(registry);

        assertThat(SqlFunctions.allowed()).doesNotContainAnyElementsOf(SqlFunctions.DENIED.keySet());
        Set<String> covered = new TreeSet<>(SqlFunctions.allowed());
        covered.addAll(denied);
        assertThat(covered).isEqualTo(registry);
        assertThat(denied).contains("reflect", "java_method", "xpath", "current_user", "raise_error");
    }

    @AfterAll
    static void theCorpusLeftNoTrace() throws IOException {
        SparkSession spark = TestSpark.session();
        // Before anything below opens the catalog (which creates its warehouse folder).
        assertThat(files()).isEqualTo(filesBefore);
        assertThat(Path.of("probe")).doesNotExist();
        assertThat(Path.of("probe2")).doesNotExist();
        assertThat(settings(spark)).isEqualTo(settingsBefore);
        assertThat(spark.conf().get("spark.sql.session.timeZone")).isEqualTo("UTC");
        assertThat(spark.catalog().listTables().collectAsList()).isEmpty();
        assertThat(spark.catalog().listDatabases().count()).isEqualTo(1);
    }

    private static Set<String> files() throws IOException {
        try (Stream<Path> walk = Files.walk(Path.of("."), 2)) {
            return walk.filter(path -> !path.startsWith("./target") && !path.startsWith("./.git"))
                    .map(Path::toString)
                    .collect(Collectors.toSet());
        }
    }

    private static Map<String, String> settings(SparkSession spark) {
        return Map.copyOf(JavaConverters.mapAsJavaMap(spark.conf().getAll()));
    }
}
