package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.WriteMethod;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.ConfigurationPropertiesAutoConfiguration;
import org.springframework.boot.autoconfigure.validation.ValidationAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

class SluicePropertiesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    ConfigurationPropertiesAutoConfiguration.class, ValidationAutoConfiguration.class))
            .withUserConfiguration(Enable.class);

    @Test
    void defaultsPointAtLoopbackAndTheNotesTriggers() {
        runner.run(context -> {
            SluiceProperties properties = context.getBean(SluiceProperties.class);
            assertThat(properties.kafka().bootstrapServers()).isEqualTo("127.0.0.1:9092");
            assertThat(properties.spark().master()).isEqualTo("local[*]");
            assertThat(properties.pipelines().carInfoToPostgres().trigger()).isEqualTo(Duration.ofMinutes(1));
            assertThat(properties.pipelines().carInfoToPostgres().topic()).isEqualTo("car_info");
            assertThat(properties.pipelines().carInfoToPostgres().table()).isEqualTo("car_info_table");
            assertThat(properties.pipelines().carInfoToPostgres().startingOffsets())
                    .isEqualTo("earliest");
            assertThat(properties.pipelines().carInfoToPostgres().autoStart()).isTrue();
            assertThat(properties.pipelines().carInfoToHdfs().trigger()).isEqualTo(Duration.ofSeconds(5));
            assertThat(properties.pipelines().carInfoToHdfs().maxOffsetsPerTrigger())
                    .isNull();
            assertThat(properties.pipelines().carInfoToPostgres().validation().limits())
                    .isEqualTo(CarInfoLimits.DEFAULT);
            assertThat(properties.restart().initialBackoff()).isEqualTo(Duration.ofSeconds(5));
            assertThat(properties.restart().maxBackoff()).isEqualTo(Duration.ofMinutes(5));
            assertThat(properties.stopTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(properties.security().apiToken()).isNull();
            assertThat(properties.postgres().writeMethod()).isEqualTo(WriteMethod.COPY);
        });
    }

    @Test
    void bindsEveryPipelineSettingAndPassesSparkKeysThrough() {
        runner.withPropertyValues(
                        "sluice.kafka.bootstrap-servers=broker-1:9092,broker-2:9092",
                        "sluice.spark.master=spark://127.0.0.1:7077",
                        "sluice.spark.config.spark.executor.memory=2g",
                        "sluice.pipelines.car-info-to-postgres.trigger=30s",
                        "sluice.pipelines.car-info-to-postgres.max-offsets-per-trigger=50000",
                        "sluice.pipelines.car-info-to-postgres.auto-start=false",
                        "sluice.pipelines.car-info-to-hdfs.path=hdfs://namenode:8020/data/car_info",
                        "sluice.pipelines.car-info-to-hdfs.starting-offsets=latest",
                        "sluice.postgres.write-method=batch-insert")
                .run(context -> {
                    SluiceProperties properties = context.getBean(SluiceProperties.class);
                    assertThat(properties.kafka().bootstrapServers()).isEqualTo("broker-1:9092,broker-2:9092");
                    assertThat(properties.spark().master()).isEqualTo("spark://127.0.0.1:7077");
                    assertThat(properties.spark().config()).containsEntry("spark.executor.memory", "2g");
                    assertThat(properties.pipelines().carInfoToPostgres().trigger())
                            .isEqualTo(Duration.ofSeconds(30));
                    assertThat(properties.pipelines().carInfoToPostgres().maxOffsetsPerTrigger())
                            .isEqualTo(50_000L);
                    assertThat(properties.pipelines().carInfoToPostgres().autoStart())
                            .isFalse();
                    assertThat(properties.pipelines().carInfoToHdfs().path())
                            .isEqualTo("hdfs://namenode:8020/data/car_info");
                    assertThat(properties.pipelines().carInfoToHdfs().startingOffsets())
                            .isEqualTo("latest");
                    assertThat(properties.postgres().writeMethod()).isEqualTo(WriteMethod.BATCH_INSERT);
                });
    }

    @Test
    void bindsValidationLimitsPerPipelineAndKeepsTheTokenOutOfToString() {
        runner.withPropertyValues(
                        "sluice.pipelines.car-info-to-hdfs.validation.min-latitude=33",
                        "sluice.pipelines.car-info-to-hdfs.validation.max-latitude=39",
                        "sluice.pipelines.car-info-to-hdfs.validation.max-speed=250",
                        "sluice.security.api-token=s3cr3t-token")
                .run(context -> {
                    SluiceProperties properties = context.getBean(SluiceProperties.class);
                    assertThat(properties
                                    .pipelines()
                                    .carInfoToHdfs()
                                    .validation()
                                    .limits())
                            .isEqualTo(new CarInfoLimits(33, 39, -180, 180, 0, 250.0));
                    assertThat(properties
                                    .pipelines()
                                    .carInfoToPostgres()
                                    .validation()
                                    .limits())
                            .isEqualTo(CarInfoLimits.DEFAULT);
                    assertThat(properties.toString()).doesNotContain("s3cr3t-token");
                });
        runner.withPropertyValues(
                        "sluice.pipelines.car-info-to-hdfs.validation.min-latitude=50",
                        "sluice.pipelines.car-info-to-hdfs.validation.max-latitude=40")
                .run(context -> assertThat(context).hasFailed());
    }

    /** As the chart's Secret gives them: comma-separated, and empty for a role without tokens. */
    @Test
    void bindsRoleTokensFromTheEnvironmentsCommaSeparatedFormAndKeepsThemOutOfToString() {
        runner.withPropertyValues(
                        "sluice.security.viewer-tokens=viewer-token-a,viewer-token-b",
                        "sluice.security.admin-tokens=",
                        "sluice.security.without-credentials=nobody")
                .run(context -> {
                    SluiceProperties.Security security =
                            context.getBean(SluiceProperties.class).security();
                    assertThat(security.viewerTokens()).containsExactly("viewer-token-a", "viewer-token-b");
                    assertThat(security.adminTokens()).isEmpty();
                    assertThat(security.operatorTokens()).isEmpty();
                    assertThat(security.hasTokens()).isTrue();
                    assertThat(security.withoutCredentials()).isEqualTo(SluiceProperties.Anonymous.NOBODY);
                    assertThat(security.toString())
                            .doesNotContain("viewer-token-a")
                            .contains("viewerTokens=2");
                });
        runner.run(context -> assertThat(
                        context.getBean(SluiceProperties.class).security().withoutCredentials())
                .isEqualTo(SluiceProperties.Anonymous.LOOPBACK));
    }

    @Test
    void rejectsInvalidSettingsAtStartup() {
        runner.withPropertyValues("sluice.pipelines.car-info-to-postgres.max-offsets-per-trigger=0")
                .run(context -> assertThat(context)
                        .hasFailed()
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("maxOffsetsPerTrigger"));
        runner.withPropertyValues("sluice.postgres.write-method=upsert-by-hand")
                .run(context -> assertThat(context)
                        .hasFailed()
                        .getFailure()
                        .rootCause()
                        .hasMessageContaining("upsert-by-hand"));
        runner.withPropertyValues("sluice.kafka.bootstrap-servers= ")
                .run(context -> assertThat(context).hasFailed());
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(SluiceProperties.class)
    static class Enable {}
}
