package dev.sluice.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.run.DesiredState;
import dev.sluice.run.PipelineStatus;
import dev.sluice.run.RunState;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

class PipelineHealthTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Duration STALE_AFTER = Duration.ofMinutes(5);

    @Test
    void aRunningPipelineThatKeepsUpIsUp() {
        Health health = PipelineHealth.of(running(NOW.minusSeconds(20), 0), STALE_AFTER, NOW);

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails())
                .containsEntry("reason", "Running")
                .containsEntry("lastProgressAgeSeconds", 20L)
                .containsEntry("lagRecords", 0L);
    }

    @Test
    void noProgressWhileRecordsWaitIsDown() {
        Health health = PipelineHealth.of(running(NOW.minusSeconds(301), 1200), STALE_AFTER, NOW);

        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.getDetails()).containsEntry("reason", "No progress for 301 s while 1200 records wait");
    }

    @Test
    void noProgressWithNothingToReadIsFine() {
        Health health = PipelineHealth.of(running(NOW.minusSeconds(3600), 0), STALE_AFTER, NOW);

        assertThat(health.getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void aSlowButRecentPipelineIsCatchingUp() {
        Health health = PipelineHealth.of(running(NOW.minusSeconds(30), 50_000), STALE_AFTER, NOW);

        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("reason", "Running, 50000 records behind");
    }

    @Test
    void aFailedPipelineIsDownAndSaysWhyAndWhatHappensNext() {
        PipelineStatus restarting = failed(new PipelineStatus.Restart(2, NOW.plusSeconds(20), false));
        PipelineStatus gaveUp = failed(new PipelineStatus.Restart(5, null, true));

        assertThat(PipelineHealth.of(restarting, STALE_AFTER, NOW).getStatus()).isEqualTo(Status.DOWN);
        assertThat(PipelineHealth.of(restarting, STALE_AFTER, NOW).getDetails().get("reason"))
                .isEqualTo("Failed: connection refused (restart 2 at 2026-11-21T12:00:20Z)");
        assertThat(PipelineHealth.of(gaveUp, STALE_AFTER, NOW).getDetails().get("reason"))
                .isEqualTo("Failed: connection refused (gave up after 5 restarts in a row; start it to try again)");
        assertThat(PipelineHealth.of(gaveUp, STALE_AFTER, NOW).getDetails()).containsEntry("gaveUp", true);
    }

    @Test
    void aPipelineStoppedOnPurposeIsNoFault() {
        PipelineStatus stopped = new PipelineStatus(
                "p",
                RunState.STOPPED,
                DesiredState.STOPPED,
                true,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                totals(),
                null);

        assertThat(PipelineHealth.of(stopped, STALE_AFTER, NOW).getStatus()).isEqualTo(Status.UP);
    }

    private static PipelineStatus running(Instant lastProgress, long lag) {
        return new PipelineStatus(
                "p",
                RunState.RUNNING,
                DesiredState.RUNNING,
                true,
                "id",
                "run",
                NOW.minusSeconds(7200),
                "Waiting for next trigger",
                null,
                null,
                new PipelineStatus.Progress(12, lastProgress, 100, 10, 100, 1000L),
                new PipelineStatus.Lag(lag, lag, Map.of("t", Map.of(0, lag)), 100.0, lag / 100.0, NOW, NOW),
                totals(),
                null);
    }

    private static PipelineStatus failed(PipelineStatus.Restart restart) {
        return new PipelineStatus(
                "p",
                RunState.FAILED,
                DesiredState.RUNNING,
                true,
                "id",
                "run",
                NOW.minusSeconds(60),
                null,
                new PipelineStatus.Failure("connection refused", NOW.minusSeconds(10)),
                restart,
                null,
                null,
                totals(),
                null);
    }

    private static PipelineStatus.SinkTotals totals() {
        return new PipelineStatus.SinkTotals(0, 0, 0, Map.of());
    }
}
