package dev.sluice.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.JdbcTarget;
import dev.sluice.support.TestSpark;
import java.time.Duration;
import java.util.AbstractList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.metrics.source.CodegenMetrics;
import org.junit.jupiter.api.Test;

/**
 * Spark's checks of the built-ins, made ahead while the service is wired: the catalog takes a
 * check only for the very definition and environment it was made with, and still makes its own
 * checks of where a definition may reach; a definition whose check failed it checks itself.
 */
class PreparedChecksTest {

    private static final PipelineEnvironment ENVIRONMENT = environment("127.0.0.1:9");

    private static PipelineEnvironment environment(String brokers) {
        return new PipelineEnvironment(
                brokers,
                Map.of("max.poll.records", "20000"),
                "target/prepared-checkpoints",
                new JdbcTarget("jdbc:postgresql://127.0.0.1:9/none", "none", null, 1),
                "sluice.dead_letter",
                new MemoryTables());
    }

    private static PipelineDefinition carInfoToPostgres(String table) {
        return BuiltInDefinitions.carInfoToPostgres(
                new BuiltInDefinitions.Settings(
                        "car-info-to-postgres", true, "car_info", "earliest", null, true, Duration.ofMinutes(1)),
                table,
                CarInfoLimits.DEFAULT);
    }

    @Test
    void theCheckMadeAheadIsTakenOnceForTheSameDefinitionInAnEnvironmentAlike() {
        PipelineDefinition definition = carInfoToPostgres("car_info_table");
        PreparedChecks prepared = PreparedChecks.pending();
        prepared.make(TestSpark.session(), List.of(definition), ENVIRONMENT);

        // The service's environment holds its own memory tables: the plan does not depend on them.
        PipelinePlanner.Plan plan = PipelinePlanner.validate(
                TestSpark.session(), definition, environment("127.0.0.1:9"), unchecked -> List.of(), prepared);

        PipelinePlanner.Plan own = PipelinePlanner.validate(TestSpark.session(), definition, ENVIRONMENT);
        assertThat(plan.schema()).isEqualTo(own.schema());
        assertThat(plan.shape().shape()).isEqualTo("fused");
        assertThat(plan.rejectReasons()).isEqualTo(own.rejectReasons());
        assertThat(prepared.take(definition, ENVIRONMENT)).as("taken once").isEmpty();
    }

    @Test
    void aFusedDefinitionsFirstTaskFindsItsExpressionsCompiled() {
        // Limits of their own: expressions no other test has compiled in this JVM.
        double speed = 100 + ThreadLocalRandom.current().nextInt(1_000_000) / 1000.0;
        PipelineDefinition definition = BuiltInDefinitions.carInfoToPostgres(
                new BuiltInDefinitions.Settings(
                        "car-info-to-postgres", true, "car_info", "earliest", null, true, Duration.ofMinutes(1)),
                "car_info_table",
                new CarInfoLimits(-90, 90, -180, 180, 0, speed));
        PreparedChecks prepared = PreparedChecks.pending();
        long before = CodegenMetrics.METRIC_COMPILATION_TIME().getCount();
        prepared.make(TestSpark.session(), List.of(definition), ENVIRONMENT);
        long made = CodegenMetrics.METRIC_COMPILATION_TIME().getCount();

        FusedRecords records =
                prepared.take(definition, ENVIRONMENT).orElseThrow().shape().records();
        // In a task, as a run compiles them: Spark keeps compiled code by the task's class loader too.
        JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext())
                .parallelize(List.of(0), 1)
                .foreach(ignored -> records.decideAll(Collections.emptyIterator()));

        assertThat(made).as("compiled as the checks were made").isGreaterThan(before);
        assertThat(CodegenMetrics.METRIC_COMPILATION_TIME().getCount())
                .as("compiled again by the first task")
                .isEqualTo(made);
    }

    @Test
    void anotherDefinitionOrEnvironmentIsNotTaken() {
        PipelineDefinition definition = carInfoToPostgres("car_info_table");
        PreparedChecks prepared = PreparedChecks.pending();
        prepared.make(TestSpark.session(), List.of(definition), ENVIRONMENT);

        assertThat(prepared.take(carInfoToPostgres("other_table"), ENVIRONMENT)).isEmpty();
        assertThat(prepared.take(definition, environment("127.0.0.1:10"))).isEmpty();
        assertThat(prepared.take(definition, ENVIRONMENT)).isPresent();
    }

    @Test
    void theCatalogsOwnChecksOfPlacesStillRefuseADefinitionCheckedAhead() {
        PipelineDefinition definition = carInfoToPostgres("pg_catalog.car_info");
        PreparedChecks prepared = PreparedChecks.pending();
        prepared.make(TestSpark.session(), List.of(definition), ENVIRONMENT);

        assertThatThrownBy(() -> PipelinePlanner.validate(
                        TestSpark.session(),
                        definition,
                        ENVIRONMENT,
                        unchecked -> List.of(new DefinitionProblem("sink.table", "is PostgreSQL's own")),
                        prepared))
                .isInstanceOf(InvalidDefinitionException.class)
                .hasMessageContaining("sink.table");
    }

    @Test
    void aDefinitionThatFailsItsCheckIsLeftToTheCatalogWhichReportsIt() {
        PipelineDefinition valid = carInfoToPostgres("car_info_table");
        PipelineDefinition.Transform transform = valid.transform();
        PipelineDefinition invalid = new PipelineDefinition(
                valid.name(),
                valid.description(),
                valid.autoStart(),
                valid.source(),
                new PipelineDefinition.Transform(
                        transform.eventTime(),
                        transform.watermark(),
                        transform.dropDuplicates(),
                        "SELECT no_such_column FROM events"),
                valid.sink(),
                valid.outputMode(),
                valid.trigger(),
                valid.rules(),
                valid.expectations());
        PreparedChecks prepared = PreparedChecks.pending();
        prepared.make(TestSpark.session(), List.of(invalid, valid), ENVIRONMENT);

        assertThat(prepared.take(invalid, ENVIRONMENT)).isEmpty();
        assertThat(prepared.take(valid, ENVIRONMENT)).isPresent();
        assertThatThrownBy(() -> PipelinePlanner.validate(
                        TestSpark.session(), invalid, ENVIRONMENT, unchecked -> List.of(), prepared))
                .isInstanceOf(InvalidDefinitionException.class)
                .hasMessageContaining("no_such_column");
    }

    @Test
    void aCheckIsTakenAsSoonAsItIsMadeWhileTheNextIsBeingMade() throws Exception {
        PipelineDefinition first = carInfoToPostgres("car_info_table");
        PipelineDefinition second = carInfoToPostgres("other_table");
        CountDownLatch secondReached = new CountDownLatch(1);
        CountDownLatch secondReleased = new CountDownLatch(1);
        // The checks reach the second definition only once the test lets them.
        List<PipelineDefinition> definitions = new AbstractList<>() {
            @Override
            public PipelineDefinition get(int index) {
                if (index == 0) {
                    return first;
                }
                secondReached.countDown();
                try {
                    assertThat(secondReleased.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return second;
            }

            @Override
            public int size() {
                return 2;
            }
        };
        PreparedChecks prepared = PreparedChecks.pending();
        CompletableFuture<Void> making =
                CompletableFuture.runAsync(() -> prepared.make(TestSpark.session(), definitions, ENVIRONMENT));
        try {
            assertThat(secondReached.await(60, TimeUnit.SECONDS)).isTrue();

            assertThat(CompletableFuture.supplyAsync(() -> prepared.take(first, ENVIRONMENT))
                            .get(60, TimeUnit.SECONDS))
                    .as("taken while the second is held")
                    .isPresent();
            CompletableFuture<Optional<PipelinePlanner.Plan>> waiting =
                    CompletableFuture.supplyAsync(() -> prepared.take(second, ENVIRONMENT));
            assertThat(waiting).as("waits for its check").isNotDone();

            secondReleased.countDown();
            assertThat(waiting.get(60, TimeUnit.SECONDS)).isPresent();
            making.get(60, TimeUnit.SECONDS);
        } finally {
            secondReleased.countDown();
        }
    }

    @Test
    void abandonedChecksLeaveEveryCheckToTheCatalog() {
        PreparedChecks prepared = PreparedChecks.pending();
        prepared.abandon();

        assertThat(prepared.take(carInfoToPostgres("car_info_table"), ENVIRONMENT))
                .isEmpty();
    }
}
