package dev.sluice.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.support.TaskGate;
import dev.sluice.support.TestSpark;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RunningTasksTest {

    private final SparkContext spark = TestSpark.session().sparkContext();
    private final RunningTasks tasks = new RunningTasks(spark);
    private volatile TaskGate.Hold hold;

    /** Ahead of the tasks' listener: a held marker's job start reaches it once its task is held. */
    private final SparkListener launchedFirst = new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            TaskGate.Hold current = hold;
            String group = jobStart.properties().getProperty("spark.jobGroup.id");
            if (current != null && group != null && group.startsWith(current.groupPrefix())) {
                try {
                    current.held().await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    };

    @BeforeEach
    void listen() {
        spark.addSparkListener(launchedFirst);
        spark.addSparkListener(tasks);
    }

    @AfterEach
    void stopListening() {
        TaskGate.open();
        spark.removeSparkListener(tasks);
        spark.removeSparkListener(launchedFirst);
    }

    @Test
    void catchingUpReturnsOnceItsMarkersTaskHasEndedNotJustItsJob() throws Exception {
        // The marker's task has launched on a free core and is still running when the marker is
        // cancelled (as on a loaded machine, where the job's start reaches the listener late):
        // Spark posts the job's end at once, the task's end only once it stops. A stop that
        // returned in between would leave the task to report to a Spark shutting down.
        hold = TaskGate.holdTasksOf("sluice-events-caught-up-", Duration.ofMillis(800));

        boolean caughtUp = tasks.catchUp(System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
        long returned = System.nanoTime();

        assertThat(caughtUp).isTrue();
        assertThat(hold.left()).as("the marker's task ran").isDone();
        assertThat(hold.left().get())
                .as("the marker's task had left its start when catching up returned")
                .isLessThan(returned);
    }

    /** Holds the tasks of {@link #aGroupIsBusyWhileItsTasksRunAndIdleOnceTheyEnd} (tasks run in this JVM). */
    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    @Test
    void aGroupIsBusyWhileItsTasksRunAndIdleOnceTheyEnd() throws Exception {
        JavaFutureAction<Void> job;
        spark.setLocalProperty("spark.jobGroup.id", "busy-test");
        try {
            job = JavaSparkContext.fromSparkContext(spark)
                    .parallelize(List.of(1, 2), 2)
                    .foreachAsync(ignored -> RELEASE.await(20, TimeUnit.SECONDS));
        } finally {
            spark.setLocalProperty("spark.jobGroup.id", null);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);

        assertThat(tasks.catchUp(deadline)).isTrue();
        assertThat(tasks.busy("busy-test"))
                .as("its job is open, its tasks wait")
                .isTrue();

        RELEASE.countDown();
        job.get(20, TimeUnit.SECONDS);
        assertThat(tasks.catchUp(deadline)).isTrue();
        assertThat(tasks.busy("busy-test"))
                .as("every event of the job has arrived")
                .isFalse();
    }

    @Test
    void aTaskStartingAfterItsJobWasCancelledKeepsItsGroupBusyUntilItEnds() {
        // Spark posts a cancelled job's end at once; a task launched as the cancel was handled
        // posts its start after that, and its end once it has stopped writing.
        tasks.jobStarted(7, "run-a", List.of(11, 12));
        tasks.jobEnded(7);
        assertThat(tasks.busy("run-a")).isFalse();

        tasks.taskStarted(12);
        assertThat(tasks.busy("run-a")).isTrue();
        assertThat(tasks.busy("run-b")).isFalse();

        tasks.taskEnded(12);
        assertThat(tasks.busy("run-a")).isFalse();
    }

    @Test
    void aGroupIsBusyWhileAJobIsOpenOrATaskRuns() {
        tasks.jobStarted(1, "run-a", List.of(1));
        tasks.jobStarted(2, "run-a", List.of(2));
        tasks.taskStarted(1);
        tasks.taskStarted(2);
        tasks.taskEnded(1);
        tasks.jobEnded(1);
        assertThat(tasks.busy("run-a")).isTrue();

        tasks.jobEnded(2);
        assertThat(tasks.busy("run-a"))
                .as("a task of the second job still runs")
                .isTrue();

        tasks.taskEnded(2);
        assertThat(tasks.busy("run-a")).isFalse();
    }

    @Test
    void onlyTheLatestStagesAreKept() {
        tasks.jobStarted(1, "old-run", List.of(0));
        tasks.jobEnded(1);
        for (int stage = 1; stage <= RunningTasks.STAGES_KEPT; stage++) {
            tasks.jobStarted(stage + 1, "later-runs", List.of(stage));
            tasks.jobEnded(stage + 1);
        }

        tasks.taskStarted(0);
        assertThat(tasks.busy("old-run")).as("its stage is forgotten").isFalse();
        tasks.taskStarted(RunningTasks.STAGES_KEPT);
        assertThat(tasks.busy("later-runs")).isTrue();
    }
}
