package dev.sluice.run;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * once a group has no job open and no task running, none of its tasks runs.
 */
final class RunningTasks extends SparkListener {

    private static final String JOB_GROUP = "spark.jobGroup.id";

    private final Map<Integer, String> groupOfJob = new ConcurrentHashMap<>();
    private final Map<Integer, String> groupOfStage = new ConcurrentHashMap<>();
    private final Map<String, Integer> openJobs = new ConcurrentHashMap<>();
    private final Map<String, Integer> runningTasks = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
        String group =
                jobStart.properties() == null ? null : jobStart.properties().getProperty(JOB_GROUP);
        if (group == null) {
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

    /** Whether a job of the group is open or a task of it runs, as far as the events told so far. */
    boolean busy(String group) {
        return openJobs.containsKey(group) || runningTasks.containsKey(group);
    }
}
