package dev.sluice;

import dev.sluice.config.SparkStart;
import dev.sluice.config.StartJitDirectives;
import dev.sluice.launch.MultiReleaseClasses;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
public class SluiceApplication {

    /**
     * Runs the service. From the packaged jar, {@code java -jar} runs {@link
     * dev.sluice.launch.ExtractedLaunch} first, which starts this in a JVM of its own from the jar's
     * extracted layout, and stays its parent ({@link ParentWatch}).
     */
    public static void main(String[] args) {
        // First, before a flight recording or an agent could hook class loading (see the class).
        MultiReleaseClasses.preloadInBackground(SluiceApplication.class);
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
