package dev.sluice.pipeline;

import java.util.Objects;
import java.util.Optional;

/** A built-in pipeline: name, start, checkpoint and Kafka topic from its {@link StreamSettings}. */
abstract class ConfiguredPipeline implements Pipeline {

    protected final StreamSettings settings;

    ConfiguredPipeline(StreamSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public final String name() {
        return settings.name();
    }

    @Override
    public final boolean autoStart() {
        return settings.autoStart();
    }

    @Override
    public final String checkpointLocation() {
        return settings.checkpointLocation();
    }

    @Override
    public final Optional<KafkaSource> kafkaSource() {
        return Optional.of(settings.source());
    }
}
