package dev.sluice.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import scala.collection.JavaConverters;

/**
 * The jobs and tasks of each job group (a streaming query's run is one: its run id) that are
 * still running, counted from Spark's listener events. A stopped query's thread ends before the
 * tasks Spark interrupted for it do; this tells when they have. Spark's status store is no help
 * there: it writes a running stage's task counts at most every 100 ms.
 *
 * <p>Events arrive in order, a job's start before its tasks' starts, with one exception: a task
 * launched while Spark cancels its job posts its start after the job's end (which Spark posts
 * when it cancels the job), and its own end later still. So a stage stays known after its job's
 * end: the last {@value #STAGES_KEPT} stages are, far more than can start between a cancel and
 * its tasks' starts. Once a group has no job open and no task running, and the events Spark had
 * to post so far have arrived, none of its tasks runs. But they arrive late: Spark's scheduler
 * posts them from its own thread, and the listener bus delivers them later still when the
 * machine is loaded. So before {@link #busy} is trusted, {@link #catchUp} waits until they have.
 */
final class RunningTasks extends SparkListener {

    private static final String JOB_GROUP = "spark.jobGroup.id";
    private static final String JOB_DESCRIPTION = "spark.job.description";
    private static final String MARKER_GROUP = "sluice-events-caught-up-";
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final int STAGES_KEPT = 10_000;

    private final SparkContext spark;
    private final Map<String, CountDownLatch> markers = new ConcurrentHashMap<>();

    private final Map<Integer, String> groupOfJob = new ConcurrentHashMap<>();
    private final Map<Integer, String> groupOfStage = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, String> eldest) {
            return size() > STAGES_KEPT;
        }
    });
    private final Map<String, Integer> openJobs = new ConcurrentHashMap<>();
    private final Map<String, Integer> runningTasks = new ConcurrentHashMap<>();

    RunningTasks(SparkContext spark) {
        this.spark = spark;
    }

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
        String group =
                jobStart.properties() == null ? null : jobStart.properties().getProperty(JOB_GROUP);
        if (group != null) {
            List<Integer> stages = new ArrayList<>();
            for (Object stage : JavaConverters.seqAsJavaList(jobStart.stageIds())) {
                stages.add((Integer) stage);
            }
            jobStarted(jobStart.jobId(), group, stages);
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd jobEnd) {
        jobEnded(jobEnd.jobId());
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart taskStart) {
        taskStarted(taskStart.stageId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        taskEnded(taskEnd.stageId());
    }

    void jobStarted(int job, String group, List<Integer> stages) {
        CountDownLatch marker = markers.get(group);
        if (marker != null) {
            marker.countDown();
        }
        groupOfJob.put(job, group);
        stages.forEach(stage -> groupOfStage.put(stage, group));
        openJobs.merge(group, 1, Integer::sum);
    }

    void jobEnded(int job) {
        String group = groupOfJob.remove(job);
        if (group != null) {
            openJobs.computeIfPresent(group, RunningTasks::oneLess);
        }
    }

    void taskStarted(int stage) {
        String group = groupOfStage.get(stage);
        if (group != null) {
            runningTasks.merge(group, 1, Integer::sum);
        }
    }

    void taskEnded(int stage) {
        String group = groupOfStage.get(stage);
        if (group != null) {
            runningTasks.computeIfPresent(group, RunningTasks::oneLess);
        }
    }

    /** A group's count less one; none (the entry removed) at zero. */
    private static Integer oneLess(String group, Integer count) {
        return count > 1 ? count - 1 : null;
    }

    /**
     * Waits, up to the deadline, until every job and task event Spark's scheduler had been asked
     * to post before this call has reached this listener: the jobs a stopped query's thread
     * submitted, and the tasks they started. It submits a marker job, one task counting one
     * element, in a job group of its own. The scheduler handles submissions in order and posts a
     * job's start when it handles its submission, so once the marker's start arrives, so have
     * those events. The marker is then cancelled (its task is of no use), and its job and task
     * are awaited like any group's: a task already launched ends after the job's end, which Spark
     * posts when it cancels the job, and one left pending must not meet an executor shutting down.
     * Waiting for the marker's end also covers a task of a stopped query launched while the marker
     * was being submitted, before Spark had handled the query's cancel: its start was posted
     * before the scheduler handled the marker's cancel (or, uncancelled, its task's end).
     *
     * @return whether the events arrived in time (true too once Spark has stopped: no task runs
     *     then)
     */
    boolean catchUp(long deadline) {
        String name = MARKER_GROUP + UUID.randomUUID();
        CountDownLatch started = new CountDownLatch(1);
        markers.put(name, started);
        String group = spark.getLocalProperty(JOB_GROUP);
        String description = spark.getLocalProperty(JOB_DESCRIPTION);
        try {
            JavaFutureAction<Long> job;
            try {
                spark.setLocalProperty(JOB_GROUP, name);
                spark.setLocalProperty(JOB_DESCRIPTION, "Sluice: marks the events a stop has seen");
                job = JavaSparkContext.fromSparkContext(spark)
                        .parallelize(List.of(0), 1)
                        .countAsync();
            } finally {
                spark.setLocalProperty(JOB_GROUP, group);
                spark.setLocalProperty(JOB_DESCRIPTION, description);
            }
            boolean caughtUp = until(() -> started.getCount() == 0, deadline);
            job.cancel(true);
            return awaitIdle(name, deadline) && caughtUp;
        } catch (IllegalStateException stopped) {
            // Spark has stopped: no task runs.
            return true;
        } finally {
            markers.remove(name);
        }
    }

    /** Whether a job of the group is open or a task of it runs, as far as the events told so far. */
    boolean busy(String group) {
        return openJobs.containsKey(group) || runningTasks.containsKey(group);
    }

    /**
     * Waits, up to the deadline, until the group is not {@link #busy}.
     *
     * @return whether it is not busy (true too once Spark has stopped)
     */
    boolean awaitIdle(String group, long deadline) {
        return until(() -> !busy(group), deadline);
    }

    /**
     * Polls the condition up to the deadline: true once it holds, or once Spark has stopped (no
     * task runs then); false at the deadline or when this thread is interrupted.
     */
    private boolean until(BooleanSupplier condition, long deadline) {
        while (!condition.getAsBoolean()) {
            if (spark.isStopped()) {
                return true;
            }
            if (System.nanoTime() >= deadline || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }
}
