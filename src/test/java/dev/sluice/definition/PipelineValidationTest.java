package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.support.TestSpark;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Definitions Spark would not run (or Sluice could not write) are refused before they start, each
 * with the field at fault and the message the API returns. Spark's own parser, analyser and
 * streaming checks do the work; nothing here starts a query.
 */
class PipelineValidationTest {

    private static final ObjectMapper JSON =
            JsonMapper.builder().addModule(new JavaTimeModule()).build();
    private static final PipelineEnvironment ENVIRONMENT = new PipelineEnvironment(
            "127.0.0.1:9",
            Map.of(),
            "target/validation-checkpoints",
            new JdbcTarget("jdbc:postgresql://127.0.0.1:9/none", "none", null, 1),
            "sluice.dead_letter",
            new MemoryTables());

    private static final String CAR_INFO =
            "{\"kind\": \"kafka\", \"topics\": [\"car_info\"], \"schemaName\": \"car_info\"}";
    private static final String TIMED =
            "\"eventTime\": \"timestamp_seconds(gpsUtcTime)\", \"watermark\": \"2 minutes\"";
    private static final String BY_TYPE =
            "SELECT window.start AS window_start, vhcleTypeCd AS vhcle_type_cd, count(*) AS events"
                    + " FROM events GROUP BY window(event_time, '1 minute'), vhcleTypeCd";

    static Stream<Arguments> invalidDefinitions() {
        return Stream.of(
                Arguments.of(
                        "record metadata named as a field",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"id STRING, at BIGINT\","
                                + " \"metadata\": {\"AT\": \"timestamp\"}}, \"sink\": {\"kind\": \"console\"}}",
                        "source.metadata.AT",
                        "is a column of events already",
                        null,
                        null),
                Arguments.of(
                        "record metadata with a routing column's name",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"id STRING\","
                                + " \"metadata\": {\"__offset\": \"offset\"}}, \"sink\": {\"kind\": \"console\"}}",
                        "source.metadata.__offset",
                        "is not a column name of events",
                        null,
                        null),
                Arguments.of(
                        "record metadata of a file source",
                        "{\"source\": {\"kind\": \"file\", \"path\": \"target/in\", \"schema\": \"id STRING\","
                                + " \"metadata\": {\"t\": \"topic\"}}, \"sink\": {\"kind\": \"console\"}}",
                        "source",
                        "metadata are not file settings",
                        null,
                        null),
                Arguments.of(
                        "a version column of a console sink",
                        "{\"source\": " + CAR_INFO + ", \"sink\": {\"kind\": \"console\", \"versionColumn\": \"t\"}}",
                        "sink.versionColumn",
                        "only postgres sinks take versionColumn",
                        null,
                        null),
                Arguments.of(
                        "a version column without a key",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"postgres\", \"table\": \"t\", \"versionColumn\": \"t\"}}",
                        "sink.versionColumn",
                        "it needs keyColumns and onConflict update",
                        null,
                        null),
                Arguments.of(
                        "a version column the result lacks",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT dataId AS data_id, gpsUtcTime AS t FROM events\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"t\", \"keyColumns\": [\"data_id\"],"
                                + " \"versionColumn\": \"seen\"}}",
                        "sink.versionColumn",
                        "the result has no column 'seen'",
                        null,
                        null),
                Arguments.of(
                        "a version column of a type without order",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT dataId AS data_id, vhcleSped > 10 AS fast FROM events\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"t\", \"keyColumns\": [\"data_id\"],"
                                + " \"versionColumn\": \"fast\"}}",
                        "sink.versionColumn",
                        "is a boolean; a version is a number, a text, a date or a timestamp",
                        null,
                        null),
                Arguments.of(
                        "an expectation over a field the records lack",
                        "{\"source\": " + CAR_INFO + ", \"sink\": {\"kind\": \"console\"},"
                                + " \"rules\": [{\"reason\": \"SLOW\", \"require\": \"vhcleSped > 1\"}],"
                                + " \"expectations\": [{\"name\": \"known\", \"require\": \"colour IS NOT NULL\", \"action\": \"drop\"}]}",
                        "expectations[0].require",
                        "`colour` cannot be resolved",
                        1,
                        0),
                Arguments.of(
                        "two expectations of one name",
                        "{\"source\": " + CAR_INFO + ", \"sink\": {\"kind\": \"console\"},"
                                + " \"rules\": [{\"reason\": \"SLOW\", \"require\": \"vhcleSped > 1\"}],"
                                + " \"expectations\": [{\"name\": \"slow\", \"require\": \"vhcleSped > 2\", \"action\": \"warn\"}]}",
                        "expectations[0].name",
                        "another expectation or rule has the name slow",
                        null,
                        null),
                Arguments.of(
                        "expectations of a rate source",
                        "{\"source\": {\"kind\": \"rate\"}, \"sink\": {\"kind\": \"console\"},"
                                + " \"expectations\": [{\"name\": \"even\", \"require\": \"value % 2 = 0\", \"action\": \"drop\"}]}",
                        "expectations",
                        "a rate source's rows are not checked",
                        null,
                        null),
                Arguments.of(
                        "rows per file of a table",
                        "{\"source\": " + CAR_INFO + ", \"sink\": {\"kind\": \"console\", \"rowsPerFile\": 10}}",
                        "sink.rowsPerFile",
                        "only parquet, json and csv sinks write files",
                        null,
                        null),
                Arguments.of(
                        "kafka source without topics",
                        "{\"source\": {\"kind\": \"kafka\", \"schemaName\": \"car_info\"}, \"sink\": {\"kind\": \"console\"}}",
                        "source",
                        "a kafka source needs either topics or topicPattern",
                        null,
                        null),
                Arguments.of(
                        "unknown built-in schema",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schemaName\": \"truck_info\"}, \"sink\": {\"kind\": \"console\"}}",
                        "source.schemaName",
                        "unknown schema 'truck_info'; the built-in schemas are: car_info",
                        null,
                        null),
                Arguments.of(
                        "json without a schema",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"]}, \"sink\": {\"kind\": \"console\"}}",
                        "source.schema",
                        "a json source needs a schema",
                        null,
                        null),
                Arguments.of(
                        "schema DDL that does not parse",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"host STRING, bytes BIGNUM\"}, \"sink\": {\"kind\": \"console\"}}",
                        "source.schema",
                        "[UNSUPPORTED_DATATYPE] Unsupported data type \"BIGNUM\"",
                        1,
                        19),
                Arguments.of(
                        "SQL that does not parse",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT dataId\\nFROM events WHERE vhcleSped >\"}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.sql",
                        "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input",
                        2,
                        29),
                Arguments.of(
                        "SQL with an unknown column",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT speed FROM events\"}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.sql",
                        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `speed` cannot be resolved",
                        1,
                        7),
                Arguments.of(
                        "SQL over another table",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT * FROM cars\"}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.sql",
                        "the query reads `cars`; a pipeline reads only the view events (and its own WITH queries), never tables or paths",
                        null,
                        null),
                Arguments.of(
                        "complete mode without aggregation",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"console\"}, \"outputMode\": \"complete\"}",
                        "outputMode",
                        "Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets",
                        null,
                        null),
                Arguments.of(
                        "append aggregation without watermark",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT vhcleTypeCd, count(*) AS n FROM events GROUP BY vhcleTypeCd\"},"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        "outputMode",
                        "Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark",
                        null,
                        null),
                Arguments.of(
                        "file sink in update mode",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED + ", \"sql\": \"" + BY_TYPE + "\"},"
                                + " \"sink\": {\"kind\": \"parquet\", \"path\": \"target/out\"}, \"outputMode\": \"update\"}",
                        "outputMode",
                        "a parquet sink only appends files: it takes append mode (with a watermark for aggregations)",
                        null,
                        null),
                Arguments.of(
                        "update mode to postgres without a key",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED + ", \"sql\": \"" + BY_TYPE + "\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"speeds\"}, \"outputMode\": \"update\"}",
                        "sink.keyColumns",
                        "update mode rewrites result rows: a postgres sink needs the key columns to upsert them on",
                        null,
                        null),
                Arguments.of(
                        "key column the result does not have",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED + ", \"sql\": \"" + BY_TYPE + "\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"speeds\", \"keyColumns\": [\"window_start\", \"type\"]}, \"outputMode\": \"update\"}",
                        "sink.keyColumns",
                        "the result has no column 'type'; its columns are [window_start, vhcle_type_cd, events]",
                        null,
                        null),
                Arguments.of(
                        "postgres column without a name",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT dataId, vhcleSped * 3.6 FROM events\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"speeds\"}}",
                        "transform.sql",
                        "the result column '(vhcleSped * 3.6)' is not a plain name a PostgreSQL column can have; give it an alias (AS name)",
                        null,
                        null),
                Arguments.of(
                        "postgres column of a struct type",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED
                                + ", \"sql\": \"SELECT window, count(*) AS n FROM events GROUP BY window(event_time, '1 minute')\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"speeds\", \"keyColumns\": [\"window\"]}, \"outputMode\": \"update\"}",
                        "transform.sql",
                        "the result column 'window' is a struct<start:timestamp,end:timestamp>, which a PostgreSQL column cannot hold",
                        null,
                        null),
                Arguments.of(
                        "continuous trigger to postgres",
                        "{\"source\": {\"kind\": \"rate\"}, \"sink\": {\"kind\": \"postgres\", \"table\": \"t\"}, \"trigger\": {\"kind\": \"continuous\", \"interval\": \"1 second\"}}",
                        "trigger",
                        "Spark's continuous processing writes to kafka and console sinks, not postgres",
                        null,
                        null),
                Arguments.of(
                        "continuous trigger with an aggregation",
                        "{\"source\": {\"kind\": \"rate\"}, \"transform\": {\"sql\": \"SELECT count(*) AS n FROM events\"},"
                                + " \"sink\": {\"kind\": \"console\"}, \"outputMode\": \"complete\", \"trigger\": {\"kind\": \"continuous\", \"interval\": \"1 second\"}}",
                        "trigger",
                        "Continuous processing does not support Aggregate operations",
                        null,
                        null),
                Arguments.of(
                        "continuous trigger over parsed json",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"kafka\", \"topic\": \"out\"}, \"trigger\": {\"kind\": \"continuous\", \"interval\": \"1 second\"}}",
                        "trigger",
                        "a continuous query has no micro-batches to write dead letters in",
                        null,
                        null),
                Arguments.of(
                        "interval that is not one",
                        "{\"source\": {\"kind\": \"rate\"}, \"sink\": {\"kind\": \"console\"}, \"trigger\": {\"interval\": \"soon\"}}",
                        "trigger.interval",
                        "soon",
                        null,
                        null),
                Arguments.of(
                        "watermark without event time",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"watermark\": \"2 minutes\"}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.watermark",
                        "a watermark needs transform.eventTime, the column it follows",
                        null,
                        null),
                Arguments.of(
                        "event time that is not a timestamp",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"eventTime\": \"gpsUtcTime\"}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.eventTime",
                        "must give a timestamp; it gives double",
                        null,
                        null),
                Arguments.of(
                        "de-duplication without watermark",
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"dropDuplicates\": [\"dataId\"]}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.dropDuplicates",
                        "de-duplication needs a watermark",
                        null,
                        null),
                Arguments.of(
                        "de-duplication on an unknown column",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED
                                + ", \"dropDuplicates\": [\"id\"]}, \"sink\": {\"kind\": \"console\"}}",
                        "transform.dropDuplicates",
                        "Cannot resolve column name \"id\" among (dataId, trsmDy, ",
                        null,
                        null),
                Arguments.of(
                        "rule over an unknown field",
                        "{\"source\": {\"kind\": \"kafka\", \"topics\": [\"t\"], \"schema\": \"bytes BIGINT\"}, \"rules\": [{\"reason\": \"NEGATIVE\", \"require\": \"size >= 0\"}],"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        "rules[0].require",
                        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `size` cannot be resolved",
                        1,
                        0),
                Arguments.of(
                        "kafka value that is not text",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"kafka\", \"topic\": \"out\", \"value\": \"vhcleSped\"}}",
                        "sink.value",
                        "a kafka value is a string or binary, not double",
                        null,
                        null),
                Arguments.of(
                        "topic pattern that is not a regular expression",
                        "{\"source\": {\"kind\": \"kafka\", \"topicPattern\": \"car_(info\", \"schemaName\": \"car_info\"},"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        "source.topicPattern",
                        "is not a Java regular expression: Unclosed group",
                        null,
                        null),
                Arguments.of(
                        "rate source with a schema",
                        "{\"source\": {\"kind\": \"rate\", \"schema\": \"a INT\"}, \"sink\": {\"kind\": \"console\"}}",
                        "source",
                        "a rate source takes only rowsPerSecond; its columns are timestamp and value",
                        null,
                        null),
                Arguments.of(
                        "rule detail over an unknown column",
                        "{\"source\": " + CAR_INFO
                                + ", \"rules\": [{\"reason\": \"SLOW\", \"require\": \"vhcleSped > 1\","
                                + " \"detail\": \"concat('speed=', speed)\"}], \"sink\": {\"kind\": \"console\"}}",
                        "rules[0].detail",
                        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `speed` cannot be resolved",
                        1,
                        17),
                Arguments.of(
                        "rule detail calling a denied function",
                        "{\"source\": " + CAR_INFO
                                + ", \"rules\": [{\"reason\": \"SLOW\", \"require\": \"vhcleSped > 1\","
                                + " \"detail\": \"reflect('java.lang.System', 'getenv', 'HOME')\"}], \"sink\": {\"kind\": \"console\"}}",
                        "rules[0].detail",
                        "the function reflect is not allowed",
                        null,
                        null),
                Arguments.of(
                        "onConflict without key columns",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"postgres\", \"table\": \"t\", \"onConflict\": \"ignore\"}}",
                        "sink.onConflict",
                        "a conflict is on the key: onConflict needs keyColumns",
                        null,
                        null),
                Arguments.of(
                        "onConflict ignore in update mode",
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED + ", \"sql\": \"" + BY_TYPE + "\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"t\", \"keyColumns\": [\"window_start\"],"
                                + " \"onConflict\": \"ignore\"}, \"outputMode\": \"update\"}",
                        "sink.onConflict",
                        "ignore keeps a key's first row, but update mode rewrites rows: use update",
                        null,
                        null),
                Arguments.of(
                        "onConflict on a file sink",
                        "{\"source\": " + CAR_INFO
                                + ", \"sink\": {\"kind\": \"parquet\", \"path\": \"target/out\", \"onConflict\": \"update\"}}",
                        "sink.onConflict",
                        "only postgres sinks take onConflict",
                        null,
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidDefinitions")
    void refusesWithTheFieldAndSparksMessage(
            String description, String json, String field, String message, Integer line, Integer position)
            throws Exception {
        PipelineDefinition definition =
                JSON.readValue(json, PipelineDefinition.class).named("invalid");

        assertThatThrownBy(() -> PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT))
                .isInstanceOfSatisfying(InvalidDefinitionException.class, e -> {
                    assertThat(e.problems()).as(e.getMessage()).anySatisfy(problem -> {
                        assertThat(problem.field()).isEqualTo(field);
                        assertThat(problem.message()).contains(message);
                        assertThat(problem.line()).isEqualTo(line);
                        assertThat(problem.position()).isEqualTo(position);
                    });
                });
    }

    @Test
    void aWindowedAggregationIsAcceptedWithItsResultColumns() throws Exception {
        PipelineDefinition definition = JSON.readValue(
                        "{\"source\": " + CAR_INFO + ", \"transform\": {" + TIMED + ", \"sql\": \"" + BY_TYPE + "\"},"
                                + " \"sink\": {\"kind\": \"postgres\", \"table\": \"speeds\", \"keyColumns\": [\"window_start\", \"vhcle_type_cd\"]},"
                                + " \"outputMode\": \"update\"}",
                        PipelineDefinition.class)
                .named("valid");

        PipelinePlanner.Plan plan = PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT);

        assertThat(plan.stateful()).isTrue();
        assertThat(plan.schema().simpleString())
                .isEqualTo("struct<window_start:timestamp,vhcle_type_cd:string,events:bigint>");
        assertThat(plan.rejectReasons())
                .containsExactly("EMPTY_VALUE", "MALFORMED_JSON", "SCHEMA_MISMATCH", "MISSING_DATA_ID", "OUT_OF_RANGE");
        assertThat(PostgresTables.ddl("speeds", plan.schema(), List.of("window_start", "vhcle_type_cd")))
                .isEqualTo("""
                CREATE TABLE IF NOT EXISTS speeds (
                    window_start timestamptz NOT NULL,
                    vhcle_type_cd text NOT NULL,
                    events bigint,
                    PRIMARY KEY (window_start, vhcle_type_cd)
                )""");
    }

    @Test
    void aProjectionIsStateless() throws Exception {
        PipelineDefinition definition = JSON.readValue(
                        "{\"source\": " + CAR_INFO
                                + ", \"transform\": {\"sql\": \"SELECT dataId FROM events WHERE vhcleSped > 10\"},"
                                + " \"sink\": {\"kind\": \"console\"}}",
                        PipelineDefinition.class)
                .named("projection");

        assertThat(PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT)
                        .stateful())
                .isFalse();
    }
}
