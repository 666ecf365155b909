package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.definition.PipelineDefinition.SourceKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every kind a definition can name has the one class that checks and builds it. */
class KindsTest {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @ParameterizedTest
    @EnumSource(SourceKind.class)
    void everySourceKindHasItsSpec(SourceKind kind) {
        assertThat(SourceKindSpec.of(kind)).isNotNull();
    }

    @ParameterizedTest
    @EnumSource(SinkKind.class)
    void everySinkKindHasItsSpecUnderItsOwnName(SinkKind kind) throws Exception {
        assertThat(SinkKindSpec.of(kind).name())
                .isEqualTo(JSON.writeValueAsString(kind).replace("\"", ""));
    }

    @Test
    void eachKindChecksItsOwnSettings() throws Exception {
        PipelineDefinition rateWithTopics = JSON.readValue(
                "{\"name\": \"r\", \"source\": {\"kind\": \"rate\", \"topics\": [\"t\"]}, \"sink\": {\"kind\": \"console\"}}",
                PipelineDefinition.class);
        PipelineDefinition postgresWithoutTable = JSON.readValue(
                "{\"name\": \"p\", \"source\": {\"kind\": \"rate\"}, \"sink\": {\"kind\": \"postgres\"},"
                        + " \"outputMode\": \"update\"}",
                PipelineDefinition.class);

        assertThat(SourceKindSpec.of(SourceKind.RATE).problems(rateWithTopics))
                .extracting(DefinitionProblem::field)
                .containsExactly("source");
        assertThat(SourceKindSpec.of(SourceKind.KAFKA).problems(rateWithTopics)).isEmpty();
        assertThat(SinkKindSpec.of(SinkKind.POSTGRES).problems(postgresWithoutTable))
                .extracting(DefinitionProblem::field)
                .containsExactly("sink.table", "sink.keyColumns");
        assertThat(SinkKindSpec.of(SinkKind.CONSOLE).continuousRefusal()).isNull();
        assertThat(SinkKindSpec.of(SinkKind.PARQUET).continuousRefusal())
                .isEqualTo("Spark's continuous processing writes to kafka and console sinks, not parquet");
    }
}
