package dev.sluice;

import dev.sluice.config.SparkStart;
import dev.sluice.config.StartJitDirectives;
import dev.sluice.launch.ExtractedLaunch;
import dev.sluice.launch.ParentWatch;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
public class SluiceApplication {

    /**
     * Runs the service; from the packaged jar ({@code java -jar}), in a JVM of its own started from
     * the jar's extracted layout ({@link ExtractedLaunch}).
     */
    public static void main(String[] args) {
        ExtractedLaunch.runIfPackaged(SluiceApplication.class, args);
        ParentWatch.start();
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
