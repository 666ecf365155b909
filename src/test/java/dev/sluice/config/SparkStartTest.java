package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.DefaultBootstrapContext;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.support.StaticApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The driver started while the service is built: from the service's own {@code sluice.spark}
 * settings, and a driver that cannot start fails the {@code sparkSession} bean with Spark's error.
 */
class SparkStartTest {

    @Test
    void aDriverThatCannotStartFailsTheBeanWithSparksOwnError() {
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
}
