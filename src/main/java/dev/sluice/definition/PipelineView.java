package dev.sluice.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.run.RunState;
import java.util.List;

/**
 * A pipeline as {@code /api/pipelines} shows it.
 *
 * @param name the pipeline's name, also its query's
 * @param origin {@code built-in} (car_info, read-only), {@code configuration} (read-only) or
 *     {@code api} (created over the API, editable)
 * @param editable whether {@code PUT} and {@code DELETE} may change it
 * @param state where its query is
 * @param definition what it does; none for the built-in Parquet pipeline, which is configured under
 *     {@code sluice.pipelines.car-info-*}
 * @param columns the result's columns, as Spark analysed them
 * @param ddl for a postgres sink, the table it writes, as a migration would create it
 * @param engine how it runs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineView(
        String name,
        String origin,
        boolean editable,
        RunState state,
        PipelineDefinition definition,
        List<MemoryTables.Column> columns,
        String ddl,
        Engine engine) {

    /**
     * How a pipeline runs.
     *
     * @param shape {@code fused} (each record decoded, checked, transformed and copied into the
     *     table in the task that reads it, as the built-in car_info pipeline is) or {@code general}
     *     (Spark's operators, then the sink)
     * @param generalBecause for the general shape, what keeps the pipeline from the fused one
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Engine(String shape, String generalBecause) {}
}
