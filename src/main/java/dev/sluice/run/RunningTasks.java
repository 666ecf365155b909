package dev.sluice.run;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * <p>Events arrive in order, a job's start before its tasks' starts and those before the job's
 * end, which Spark posts when it cancels the job; tasks ending after that still post theirs. So
 * once a group has no job open and no task running, none of its tasks runs. But they arrive
 * late: Spark's scheduler posts them from its own thread, and the listener bus delivers them
 * later still when the machine is loaded. So before {@link #busy} is trusted, {@link #catchUp}
 * waits until the events the scheduler had to post so far have arrived.
 */
final class RunningTasks extends SparkListener {

    private static final String JOB_GROUP = "spark.jobGroup.id";
    private static final String JOB_DESCRIPTION = "spark.job.description";
    private static final String MARKER_GROUP = "sluice-events-caught-up-";
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final SparkContext spark;
    private final Map<String, Marker> markers = new ConcurrentHashMap<>();
    private final Map<Integer, Marker> markerJobs = new ConcurrentHashMap<>();

    private final Map<Integer, String> groupOfJob = new ConcurrentHashMap<>();
    private final Map<Integer, String> groupOfStage = new ConcurrentHashMap<>();
    private final Map<String, Integer> openJobs = new ConcurrentHashMap<>();
    private final Map<String, Integer> runningTasks = new ConcurrentHashMap<>();

    RunningTasks(SparkContext spark) {
        this.spark = spark;
    }

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
        String group =
                jobStart.properties() == null ? null : jobStart.properties().getProperty(JOB_GROUP);
        if (group == null) {
            return;
        }
        if (group.startsWith(MARKER_GROUP)) {
            Marker marker = markers.get(group);
            if (marker != null) {
                markerJobs.put(jobStart.jobId(), marker);
                marker.started().countDown();
            }
            return;
        }
        groupOfJob.put(jobStart.jobId(), group);
        for (Object stage : JavaConverters.seqAsJavaList(jobStart.stageIds())) {
            groupOfStage.put((Integer) stage, group);
        }
        openJobs.merge(group, 1, Integer::sum);
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd jobEnd) {
        Marker marker = markerJobs.remove(jobEnd.jobId());
        if (marker != null) {
            marker.ended().countDown();
            return;
        }
        String group = groupOfJob.remove(jobEnd.jobId());
        if (group != null) {
            openJobs.computeIfPresent(group, RunningTasks::oneLess);
            forgetIfIdle(group);
        }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart taskStart) {
        String group = groupOfStage.get(taskStart.stageId());
        if (group != null) {
            runningTasks.merge(group, 1, Integer::sum);
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        String group = groupOfStage.get(taskEnd.stageId());
        if (group != null) {
            runningTasks.computeIfPresent(group, RunningTasks::oneLess);
            forgetIfIdle(group);
        }
    }

    /** A group's count less one; none (the entry removed) at zero. */
    private static Integer oneLess(String group, Integer count) {
        return count > 1 ? count - 1 : null;
    }

    /** A group with no job open and no task running needs its stages no more. */
    private void forgetIfIdle(String group) {
        if (!busy(group)) {
            groupOfStage.values().removeIf(group::equals);
        }
    }

    /**
     * Waits, up to the deadline, until every job and task event Spark's scheduler had been asked
     * to post before this call has reached this listener: the jobs a stopped query's thread
     * submitted, and the tasks they started. It submits a marker job, one task counting one
     * element, in a job group of its own. The scheduler handles submissions in order and posts a
     * job's start when it handles its submission, so once the marker's start arrives, so have
     * those events. The marker is then cancelled (its task is of no use) and its end awaited, so
     * no task of it is left to launch on an executor that is shutting down.
     *
     * @return whether the events arrived in time (true too once Spark has stopped: no task runs
     *     then)
     */
    boolean catchUp(long deadline) {
        String name = MARKER_GROUP + UUID.randomUUID();
        Marker marker = new Marker(new CountDownLatch(1), new CountDownLatch(1));
        markers.put(name, marker);
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
            boolean caughtUp = await(marker.started(), deadline);
            job.cancel(true);
            await(marker.ended(), deadline);
            return caughtUp;
        } catch (IllegalStateException stopped) {
            // Spark has stopped: no task runs.
            return true;
        } finally {
            markers.remove(name);
        }
    }

    /** Waits for the latch up to the deadline; true once it is down, or once Spark has stopped. */
    private boolean await(CountDownLatch latch, long deadline) {
        try {
            while (!latch.await(POLL_NANOS, TimeUnit.NANOSECONDS)) {
                if (spark.isStopped()) {
                    return true;
                }
                if (System.nanoTime() >= deadline) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A marker job: its start arrived, its end arrived. */
    private record Marker(CountDownLatch started, CountDownLatch ended) {}

    /** Whether a job of the group is open or a task of it runs, as far as the events told so far. */
    boolean busy(String group) {
        return openJobs.containsKey(group) || runningTasks.containsKey(group);
    }
}
