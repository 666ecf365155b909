package dev.sluice.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.query.QueryState;
import java.util.List;

/**
 * A pipeline as {@code /api/pipelines} shows it.
 *
 * @param name the pipeline's name, also its query's
 * @param origin {@code built-in} (car_info, read-only), {@code configuration} (read-only) or
 *     {@code api} (created over the API, editable)
 * @param editable whether {@code PUT} and {@code DELETE} may change it
 * @param state where its query is
 * @param definition what it does; none for the built-ins, which are configured under
 *     {@code sluice.pipelines.car-info-*}
 * @param columns the result's columns, as Spark analysed them
 * @param ddl for a postgres sink, the table it writes, as a migration would create it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineView(
        String name,
        String origin,
        boolean editable,
        QueryState state,
        PipelineDefinition definition,
        List<MemoryTables.Column> columns,
        String ddl) {}
