package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.definition.DefinedPipeline;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.support.TestSpark;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The class-data training run plans the built-in pipelines as the image's build runs it (no
 * database, no broker), and the fused one accepts the sample event: a change to the records the
 * fused path reads that the training does not follow shows here, not as an archive that silently
 * lacks the fused path's classes.
 */
class ClassDataTrainingTest {

    @Test
    void everyBuiltInIsPlannedAndTheFusedOneAcceptsTheSampleEvent() {
        ServiceSettings settings = ServiceSettings.of(Map.of(
                "spring.datasource.url", "jdbc:postgresql://127.0.0.1:9/none",
                "sluice.kafka.bootstrap-servers", "127.0.0.1:9"));
        List<DefinedPipeline> builtIns = PipelineConfiguration.builtIns(settings.properties()).stream()
                .map(definition ->
                        new DefinedPipeline(definition, DefinedPipeline.Origin.BUILT_IN, settings.pipelines()))
                .toList();
        assertThat(builtIns)
                .extracting(DefinedPipeline::definition)
                .extracting(PipelineDefinition::name)
                .containsExactly("car-info-to-postgres", "car-info-to-hdfs");
        assertThat(builtIns.get(0).fusedRecords(TestSpark.session()))
                .as("the PostgreSQL built-in's fused records")
                .isNotNull();

        assertThat(ClassDataTraining.planPipelines(TestSpark.session(), builtIns))
                .isEmpty();
    }

    @Test
    void everyClassAStartLoadsLaterIsListedOnceAndResolves() throws Exception {
        List<String> listed = ClassDataTraining.startClasses();
        assertThat(listed)
                .hasSizeGreaterThan(1_000)
                .doesNotHaveDuplicates()
                .contains("org.apache.kafka.common.message.FetchResponseData", "org.postgresql.jdbc.PgConnection");

        ClassDataTraining.StartClasses loaded =
                ClassDataTraining.loadStartClasses(getClass().getClassLoader());

        // A dependency's upgrade that renames them fails here: the file says how to list them again.
        assertThat(loaded.unresolved()).isEmpty();
        assertThat(loaded.loaded()).isEqualTo(listed.size());
    }
}
