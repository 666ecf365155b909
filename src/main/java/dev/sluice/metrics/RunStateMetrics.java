package dev.sluice.metrics;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.run.DesiredState;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.RegistryListener;
import dev.sluice.run.RunState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Where each pipeline's query is, read from the manager when scraped, tagged {@code query}:
 * {@code sluice_query_state{state}} (1 for the current state, 0 for the others),
 * {@code sluice_query_desired_running} (1 when it should run), {@code sluice_query_failures_total}
 * and {@code sluice_query_restarts_total} (automatic restarts).
 */
@Component
class RunStateMetrics implements RegistryListener {

    private final MeterRegistry registry;
    private final PipelineRuns manager;
    private final RunProgressMetrics progress;

    RunStateMetrics(MeterRegistry registry, PipelineRuns manager, RunProgressMetrics progress) {
        this.registry = registry;
        this.manager = manager;
        this.progress = progress;
        manager.names().forEach(this::register);
        manager.addRegistryListener(this);
    }

    @Override
    public void added(Pipeline pipeline) {
        register(pipeline.name());
    }

    /** A removed pipeline's series go with it, rather than repeating their last values. */
    @Override
    public void removed(String name) {
        progress.forget(name);
        for (Meter meter : List.copyOf(registry.getMeters())) {
            if (name.equals(meter.getId().getTag("query"))) {
                registry.remove(meter);
            }
        }
    }

    private void register(String query) {
        for (RunState state : RunState.values()) {
            Gauge.builder(
                            "sluice.query.state",
                            manager,
                            m -> m.names().contains(query) && m.state(query) == state ? 1 : 0)
                    .description("1 for the state the query is in, 0 for the others")
                    .tag("query", query)
                    .tag("state", state.name())
                    .register(registry);
        }
        Gauge.builder(
                        "sluice.query.desired.running",
                        manager,
                        m -> m.names().contains(query) && m.desired(query) == DesiredState.RUNNING ? 1 : 0)
                .description("1 when the operator (or the configuration) wants the query to run")
                .tag("query", query)
                .register(registry);
        FunctionCounter.builder(
                        "sluice.query.failures", manager, m -> m.names().contains(query) ? m.failures(query) : 0)
                .description("Runs that failed or could not start")
                .tag("query", query)
                .register(registry);
        FunctionCounter.builder(
                        "sluice.query.restarts", manager, m -> m.names().contains(query) ? m.restarts(query) : 0)
                .description("Automatic restarts after failures")
                .tag("query", query)
                .register(registry);
    }
}
