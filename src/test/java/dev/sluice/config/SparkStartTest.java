package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineEnvironment;
import dev.sluice.support.TestSpark;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.DefaultBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.support.StaticApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The driver started while the service is built: from the service's own {@code sluice.spark}
 * settings, and a driver that cannot start fails the {@code sparkSession} bean with Spark's error;
 * once started, it checks the built-in pipelines as their beans define them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkStartTest {

    /** First: a driver cannot fail to start once one runs in the JVM, and the next test starts one. */
    @Test
    @Order(1)
    void aDriverThatCannotStartFailsTheBeanWithSparksOwnError() {
        // A start finds a driver already running in its JVM (another test class's): none may run.
        TestSpark.stopAnyDriver();
        StandardEnvironment environment = new StandardEnvironment();
        environment
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        "test", Map.of("sluice.spark.master", "nowhere://at-all", "sluice.spark.app-name", "start")));
        SparkStart start = new SparkStart();
        SpringApplication application = new SpringApplication(SparkStartTest.class);
        start.onApplicationEvent(new ApplicationEnvironmentPreparedEvent(
                new DefaultBootstrapContext(), application, new String[0], environment));

        StaticApplicationContext context = new StaticApplicationContext();
        start.onApplicationEvent(new ApplicationPreparedEvent(application, new String[0], context));

        assertThat(context.getBeanFactory().getBean(SparkStart.class)).isSameAs(start);
        assertThatThrownBy(start::session)
                .isInstanceOf(RuntimeException.class)
                .hasMessageContaining("nowhere://at-all");
    }

    @Test
    @Order(2)
    void theStartedDriverChecksTheBuiltInsAsTheirBeansDefineThem() {
        // The unit tests' one driver: the start finds it running, as a service finds its own.
        TestSpark.session();
        ServiceSettings settings = ServiceSettings.of(Map.of(
                "sluice.spark.master", "local[2]",
                "spring.datasource.url", "jdbc:postgresql://127.0.0.1:9/none",
                "spring.datasource.username", "none",
                "sluice.kafka.bootstrap-servers", "127.0.0.1:9",
                "sluice.pipelines.car-info-to-postgres.table", "vehicles",
                "sluice.pipelines.car-info-to-hdfs.path", "target/prepared-parquet"));
        SparkStart start = new SparkStart();
        start.onApplicationEvent(new ApplicationEnvironmentPreparedEvent(
                new DefaultBootstrapContext(),
                new SpringApplication(SparkStartTest.class),
                new String[0],
                settings.environment()));
        start.session();

        SluiceProperties properties = settings.properties();
        PipelineEnvironment service = settings.pipelines();
        List<PipelineDefinition> builtIns = PipelineConfiguration.builtIns(properties);
        assertThat(builtIns)
                .extracting(PipelineDefinition::name)
                .containsExactly("car-info-to-postgres", "car-info-to-hdfs");
        assertThat(builtIns.get(0).sink().table()).isEqualTo("vehicles");
        for (PipelineDefinition builtIn : builtIns) {
            assertThat(start.preparedChecks().take(builtIn, service))
                    .as(builtIn.name())
                    .hasValueSatisfying(
                            plan -> assertThat(plan.schema().fieldNames()).isNotEmpty());
        }
    }
}
