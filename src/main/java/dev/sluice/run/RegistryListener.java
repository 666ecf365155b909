package dev.sluice.run;

import dev.sluice.pipeline.Pipeline;

/** Told when a pipeline is added or removed while the service runs. */
public interface RegistryListener {
    void added(Pipeline pipeline);

    void removed(String name);
}
