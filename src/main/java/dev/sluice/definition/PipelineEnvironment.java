package dev.sluice.definition;

import dev.sluice.pipeline.JdbcTarget;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a defined pipeline takes from the service rather than from its definition.
 *
 * @param kafkaBootstrapServers the Kafka cluster of kafka sources and sinks
 * @param kafkaProperties extra Kafka client settings, without the {@code kafka.} prefix
 * @param checkpointRoot where checkpoints live; each pipeline uses {@code <root>/<name>}
 * @param target the PostgreSQL database of postgres sinks and dead letters
 * @param deadLetterTable the dead-letter table, with Sluice's own schema
 * @param memoryTables where memory sinks keep their rows
 */
public record PipelineEnvironment(
        String kafkaBootstrapServers,
        Map<String, String> kafkaProperties,
        String checkpointRoot,
        JdbcTarget target,
        String deadLetterTable,
        MemoryTables memoryTables) {

    public PipelineEnvironment {
        Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
        kafkaProperties = Map.copyOf(kafkaProperties == null ? Map.of() : kafkaProperties);
        checkpointRoot = checkpointRoot.replaceAll("/+$", "");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(deadLetterTable, "deadLetterTable");
        Objects.requireNonNull(memoryTables, "memoryTables");
    }

    /** Sluice's own schema, no sink's place: the dead-letter table's. */
    public Optional<String> ownSchema() {
        int dot = deadLetterTable.indexOf('.');
        return dot > 0 ? Optional.of(deadLetterTable.substring(0, dot)) : Optional.empty();
    }

    /**
     * Whether a definition's plan made in one environment holds in the other: the same in all but
     * the memory tables (the service's one instance, which a plan does not depend on).
     */
    boolean plansAlike(PipelineEnvironment other) {
        return kafkaBootstrapServers.equals(other.kafkaBootstrapServers)
                && kafkaProperties.equals(other.kafkaProperties)
                && checkpointRoot.equals(other.checkpointRoot)
                && target.equals(other.target)
                && deadLetterTable.equals(other.deadLetterTable);
    }

    public String checkpointLocation(String pipeline) {
        return checkpointRoot + "/" + pipeline;
    }
}
