package dev.sluice.definition;

import dev.sluice.pipeline.FusedRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spark's checks of definitions known before the service is wired (the built-ins, from the
 * configuration), made while the rest of the service is built, so that the catalog's load, which
 * the service's start waits for, finds them made. Each check can be taken as soon as it is made,
 * while the next ones are being made. The catalog takes a check only for the very definition and
 * environment it was made with; anything else, and any definition whose check failed, it checks
 * itself, as it would have.
 */
public final class PreparedChecks {

    private static final Logger log = LoggerFactory.getLogger(PreparedChecks.class);

    /** The local property {@link SparkContext#setJobDescription} sets. */
    private static final String JOB_DESCRIPTION = "spark.job.description";

    private record Prepared(
            PipelineDefinition definition, PipelineEnvironment environment, PipelinePlanner.Plan plan) {}

    /** The checks made and not taken yet; guarded by this. */
    private final List<Prepared> made = new ArrayList<>();
    /** Whether no more checks will be made; guarded by this. */
    private boolean done;

    private PreparedChecks(boolean done) {
        this.done = done;
    }

    /** No checks made ahead: the catalog makes every one. */
    public static PreparedChecks none() {
        return new PreparedChecks(true);
    }

    /** Checks to be made by {@link #make}; until then, {@link #take} waits for them. */
    public static PreparedChecks pending() {
        return new PreparedChecks(false);
    }

    /**
     * Makes the checks, in the calling thread and in order, as the catalog would make them (its own
     * checks of where a definition may reach and of the sink's table are left to it); each can be
     * taken as soon as it is made. As soon as a fused definition has passed, its expressions are
     * compiled for its first tasks, in a task of their own, while the next definitions are checked
     * (a first task that needs them sooner waits for the same compilation in Spark's cache);
     * returns once those tasks have ended. Never throws: a definition that does not pass is left
     * for the catalog to check and report.
     */
    public void make(SparkSession spark, List<PipelineDefinition> definitions, PipelineEnvironment environment) {
        List<Future<Void>> compiling = new ArrayList<>();
        try {
            for (PipelineDefinition definition : definitions) {
                PipelinePlanner.Plan plan;
                try {
                    plan = PipelinePlanner.validate(spark, definition, environment);
                } catch (RuntimeException e) {
                    // The catalog's own check reports it (no message here: the settings hold secrets).
                    log.debug(
                            "Pipeline {} is left to be checked as the service starts ({})",
                            definition.name(),
                            e.getClass().getName());
                    continue;
                }
                synchronized (this) {
                    made.add(new Prepared(definition, environment, plan));
                    notifyAll();
                }
                if (plan.shape().fused() && spark.sparkContext().isLocal()) {
                    compileInATask(spark.sparkContext(), plan.shape().records()).ifPresent(compiling::add);
                }
            }
        } finally {
            finish();
        }
        for (Future<Void> compiled : compiling) {
            try {
                compiled.get();
            } catch (ExecutionException e) {
                // The first task compiles them itself, and reports what fails.
                log.debug("Compiling ahead failed ({})", e.getCause().getClass().getName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Starts compiling these records' expressions in a task of one partition: Spark keeps compiled
     * code by its text and the class loader of the thread that compiles it, which for a task is the
     * executor's, so code compiled on a thread of the service would not serve the first tasks. With
     * a local master the service's own executor runs it; on a cluster the first tasks compile their
     * own on each executor, and nothing is done ahead. Empty if Spark did not take the job.
     */
    private static Optional<Future<Void>> compileInATask(SparkContext context, FusedRecords records) {
        String description = context.getLocalProperty(JOB_DESCRIPTION);
        context.setJobDescription("Sluice: compiling a fused pipeline's expressions ahead of its first tasks");
        try {
            return Optional.of(JavaSparkContext.fromSparkContext(context)
                    .parallelize(List.of(0), 1)
                    .foreachAsync(ignored -> records.compileAhead()));
        } catch (RuntimeException e) {
            log.debug("Compiling ahead was not started ({})", e.getClass().getName());
            return Optional.empty();
        } finally {
            context.setJobDescription(description);
        }
    }

    /** Gives up on the checks not made yet: the catalog makes them. */
    public void abandon() {
        finish();
    }

    private synchronized void finish() {
        done = true;
        notifyAll();
    }

    /**
     * The plan of a check made ahead for this definition in this environment, once, or empty:
     * waits while it may still be made.
     */
    public synchronized Optional<PipelinePlanner.Plan> take(
            PipelineDefinition definition, PipelineEnvironment environment) {
        while (true) {
            for (int i = 0; i < made.size(); i++) {
                Prepared one = made.get(i);
                if (one.definition().equals(definition) && one.environment().plansAlike(environment)) {
                    made.remove(i);
                    return Optional.of(one.plan());
                }
            }
            if (done) {
                return Optional.empty();
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }
}
