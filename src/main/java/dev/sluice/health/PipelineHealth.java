package dev.sluice.health;

import dev.sluice.run.DesiredState;
import dev.sluice.run.PipelineStatus;
import dev.sluice.run.RunState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

/**
 * The health of one pipeline, from its status:
 *
 * <ul>
 *   <li>UP when it runs and keeps up, or when an operator stopped it (a stopped pipeline that is
 *       meant to be stopped is no fault);
 *   <li>DOWN when it should run and does not: failed (awaiting an automatic restart, or past its
 *       restart budget), or running with records waiting but no progress for {@code staleAfter}.
 * </ul>
 *
 * Every answer says why, in {@code reason}, with the state, the age of the last progress and the lag.
 */
public final class PipelineHealth {

    private PipelineHealth() {}

    public static Health of(PipelineStatus status, Duration staleAfter, Instant now) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", status.state());
        details.put("desired", status.desired());
        Instant lastActive =
                status.lastProgress() != null ? status.lastProgress().timestamp() : status.startedAt();
        Duration sinceProgress =
                lastActive == null || status.state() != RunState.RUNNING ? null : Duration.between(lastActive, now);
        if (sinceProgress != null) {
            details.put("lastProgressAgeSeconds", Math.max(0, sinceProgress.toSeconds()));
        }
        if (status.lag() != null) {
            details.put("lagRecords", status.lag().records());
            if (status.lag().catchUpSeconds() != null) {
                details.put("catchUpSeconds", Math.round(status.lag().catchUpSeconds()));
            }
        }
        Status health;
        String reason;
        switch (status.state()) {
            case RUNNING:
                long waiting = status.lag() == null ? 0 : status.lag().records();
                if (waiting > 0 && sinceProgress != null && sinceProgress.compareTo(staleAfter) > 0) {
                    health = Status.DOWN;
                    reason = "No progress for " + sinceProgress.toSeconds() + " s while " + waiting + " records wait";
                } else {
                    health = Status.UP;
                    reason = waiting > 0 ? "Running, " + waiting + " records behind" : "Running";
                }
                break;
            case STOPPING:
                health = Status.UP;
                reason = "Stopping";
                break;
            case FAILED:
                health = Status.DOWN;
                PipelineStatus.Restart restart = status.restart();
                String why = status.failure() == null
                        ? "Failed"
                        : "Failed: " + status.failure().message();
                if (restart != null && restart.gaveUp()) {
                    reason =
                            why + " (gave up after " + restart.attempt() + " restarts in a row; start it to try again)";
                } else if (restart != null && restart.nextAttemptAt() != null) {
                    reason = why + " (restart " + restart.attempt() + " at " + restart.nextAttemptAt() + ")";
                } else {
                    reason = why;
                }
                if (restart != null) {
                    details.put("restartAttempt", restart.attempt());
                    details.put("gaveUp", restart.gaveUp());
                }
                break;
            default:
                boolean meant = status.desired() == DesiredState.STOPPED;
                health = meant ? Status.UP : Status.DOWN;
                reason = meant ? "Stopped by an operator or by configuration" : "Stopped, but it should run";
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("reason", reason);
        ordered.putAll(details);
        return Health.status(health).withDetails(ordered).build();
    }
}
