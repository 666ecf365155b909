package dev.sluice.support;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A Spark plugin of the unit tests' session ({@link TestSpark}) that holds back, when a test asks,
 * the tasks of job groups with a given prefix: each one waits at its start until it is killed, then
 * a while longer, as a task busy writing is slow to notice its kill. It does nothing otherwise.
 */
public final class TaskGate implements SparkPlugin {

    private static final Duration LONGEST_HOLD = Duration.ofSeconds(10);

    private static volatile Hold hold;

    /** What a test sees of the held task: that it is held, and when it left the gate (System.nanoTime). */
    public record Hold(String groupPrefix, Duration afterKill, CountDownLatch held, CompletableFuture<Long> left) {}

    /** Holds the next task of a group with this prefix, until killed and then {@code afterKill} more. */
    public static Hold holdTasksOf(String groupPrefix, Duration afterKill) {
        Hold next = new Hold(groupPrefix, afterKill, new CountDownLatch(1), new CompletableFuture<>());
        hold = next;
        return next;
    }

    /** Holds no task any more. */
    public static void open() {
        hold = null;
    }

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void onTaskStart() {
                Hold current = hold;
                TaskContext context = TaskContext.get();
                if (current == null || context == null || current.left().isDone()) {
                    return;
                }
                String group = context.getLocalProperty("spark.jobGroup.id");
                if (group == null || !group.startsWith(current.groupPrefix())) {
                    return;
                }
                current.held().countDown();
                long until = System.nanoTime() + LONGEST_HOLD.toNanos();
                while (!context.isInterrupted() && System.nanoTime() < until) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                LockSupport.parkNanos(current.afterKill().toNanos());
                current.left().complete(System.nanoTime());
            }
        };
    }
}
