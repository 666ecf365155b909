package dev.sluice;

import dev.sluice.config.SparkStart;
import dev.sluice.config.StartJitDirectives;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
public class SluiceApplication {

    public static void main(String[] args) {
        run(args);
    }

    /**
     * Runs the service; its Spark driver starts while Spring builds the rest ({@link SparkStart}),
     * and the JIT's optimizing compiler leaves start-up code alone ({@link StartJitDirectives}).
     */
    public static ConfigurableApplicationContext run(String... args) {
        SpringApplication application = new SpringApplication(SluiceApplication.class);
        application.addListeners(new StartJitDirectives(), new SparkStart());
        return application.run(args);
    }
}
