package dev.sluice.run;

import dev.sluice.pipeline.Pipeline;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one registry of pipelines: each pipeline by name with its current run, in the order they
 * were added, and who is told when one is added or removed. Reads never wait for a start or stop.
 */
final class PipelineRegistry {

    /** Guarded by itself. */
    private final Map<String, ManagedPipeline> pipelines = new LinkedHashMap<>();

    private final List<RegistryListener> listeners = new CopyOnWriteArrayList<>();

    void addListener(RegistryListener listener) {
        listeners.add(listener);
    }

    /** Adds a pipeline; throws if the name is taken. */
    void add(Pipeline pipeline, boolean tell) {
        synchronized (pipelines) {
            if (pipelines.putIfAbsent(pipeline.name(), new ManagedPipeline(pipeline)) != null) {
                throw new IllegalStateException("A pipeline is already named " + pipeline.name());
            }
        }
        if (tell) {
            listeners.forEach(listener -> listener.added(pipeline));
        }
    }

    /** Puts a new pipeline in the place of one of the same name. */
    void replace(ManagedPipeline replacement) {
        synchronized (pipelines) {
            pipelines.put(replacement.pipeline.name(), replacement);
        }
        listeners.forEach(listener -> {
            listener.removed(replacement.pipeline.name());
            listener.added(replacement.pipeline);
        });
    }

    void remove(String name) {
        synchronized (pipelines) {
            pipelines.remove(name);
        }
        listeners.forEach(listener -> listener.removed(name));
    }

    Optional<ManagedPipeline> find(String name) {
        synchronized (pipelines) {
            return Optional.ofNullable(pipelines.get(name));
        }
    }

    /** The pipeline of that name; {@link UnknownPipelineException} when there is none. */
    ManagedPipeline require(String name) {
        return find(name).orElseThrow(() -> new UnknownPipelineException(name));
    }

    /** The pipeline whose current run this is. */
    Optional<ManagedPipeline> running(UUID runId) {
        return all().stream()
                .filter(managed ->
                        managed.query != null && managed.query.runId().equals(runId))
                .findFirst();
    }

    List<ManagedPipeline> all() {
        synchronized (pipelines) {
            return List.copyOf(pipelines.values());
        }
    }

    List<String> names() {
        synchronized (pipelines) {
            return List.copyOf(pipelines.keySet());
        }
    }
}
