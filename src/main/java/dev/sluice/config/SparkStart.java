package dev.sluice.config;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.spark.sql.SparkSession;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

/**
 * Starts the service's Spark driver in a thread of its own as soon as the configuration is read,
 * so that Spark's start (seconds, on a cold JVM) runs while Spring builds the rest of the service;
 * the {@code sparkSession} bean then waits for it. The driver is built exactly as the bean builds
 * it, from the same {@code sluice.spark} settings, and a failure to build it is the bean's. If the
 * service fails to start, the driver is stopped. Added by {@link dev.sluice.SluiceApplication#run}.
 */
public final class SparkStart implements ApplicationListener<SpringApplicationEvent> {

    private static final String BEAN = "sparkStart";

    private CompletableFuture<SparkSession> session;

    @Override
    public void onApplicationEvent(SpringApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared && session == null) {
            SluiceProperties.Spark spark =
                    Binder.get(prepared.getEnvironment()).bindOrCreate("sluice.spark", SluiceProperties.Spark.class);
            CompletableFuture<SparkSession> starting = new CompletableFuture<>();
            Thread thread = new Thread(
                    () -> {
                        try {
                            starting.complete(SparkConfiguration.build(spark));
                        } catch (Throwable e) {
                            starting.completeExceptionally(e);
                        }
                    },
                    "spark-start");
            thread.setDaemon(true);
            session = starting;
            thread.start();
        } else if (event instanceof ApplicationPreparedEvent prepared && session != null) {
            prepared.getApplicationContext().getBeanFactory().registerSingleton(BEAN, this);
        } else if (event instanceof ApplicationFailedEvent && session != null) {
            session.thenAccept(SparkSession::stop);
        }
    }

    /** The driver, once started; throws what starting it threw. */
    SparkSession session() {
        try {
            return session.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
