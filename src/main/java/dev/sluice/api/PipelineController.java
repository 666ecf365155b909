package dev.sluice.api;

import dev.sluice.definition.PipelineCatalog;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.definition.PipelineView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Pipelines as data: create, read, change and remove pipeline definitions. Their queries are
 * started and stopped under {@code /api/queries}.
 */
@RestController
@RequestMapping("/api/pipelines")
@Tag(
        name = "Pipelines",
        description = "Define Structured Streaming pipelines as data; Spark checks each definition before it is taken")
class PipelineController {

    private final PipelineCatalog catalog;

    PipelineController(PipelineCatalog catalog) {
        this.catalog = catalog;
    }

    @GetMapping
    @Operation(summary = "Every pipeline: built in, configured and created over the API")
    List<PipelineView> list() {
        return catalog.list();
    }

    @GetMapping("/{name}")
    @Operation(summary = "One pipeline, with its definition, result columns and (for postgres sinks) table DDL")
    PipelineView get(@PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name) {
        return catalog.get(name);
    }

    @PostMapping
    @Operation(
            summary = "Create a pipeline",
            description =
                    "Spark parses and analyses the definition (source schema, SQL, output mode, trigger, sink) without"
                            + " starting it; a problem is a 400 naming the field, with Spark's message and the SQL position."
                            + " The pipeline starts now when autoStart is true, else on POST /api/queries/{name}/start.")
    ResponseEntity<PipelineView> create(
            @Valid
                    @RequestBody(required = true)
                    @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content =
                                    @Content(
                                            examples = {
                                                @ExampleObject(
                                                        name = "kafka-to-postgres-upsert",
                                                        summary =
                                                                "car_info: 1-minute windows per vehicle type, upserted",
                                                        value = OpenApiExamples.KAFKA_TO_POSTGRES),
                                                @ExampleObject(
                                                        name = "kafka-dedup-to-kafka",
                                                        summary = "car_info de-duplicated by dataId into another topic",
                                                        value = OpenApiExamples.KAFKA_TO_KAFKA),
                                                @ExampleObject(
                                                        name = "kafka-to-memory",
                                                        summary =
                                                                "Sliding windows of distinct terminals, readable over REST",
                                                        value = OpenApiExamples.KAFKA_TO_MEMORY),
                                                @ExampleObject(
                                                        name = "files-to-parquet",
                                                        summary =
                                                                "A folder of JSON log files: counts per reply code per hour",
                                                        value = OpenApiExamples.FILES_TO_PARQUET),
                                                @ExampleObject(
                                                        name = "rate-to-console",
                                                        summary = "Generated rows, for trying things out",
                                                        value = OpenApiExamples.RATE_TO_CONSOLE)
                                            }))
                    PipelineDefinition definition,
            @Parameter(description = "Only check the definition: nothing is created")
                    @RequestParam(defaultValue = "false")
                    boolean dryRun) {
        if (dryRun) {
            return ResponseEntity.ok(catalog.dryRun(definition));
        }
        PipelineView created = catalog.create(definition);
        return ResponseEntity.created(URI.create("/api/pipelines/" + created.name()))
                .body(created);
    }

    @PutMapping("/{name}")
    @Operation(
            summary = "Change a stopped pipeline created over the API",
            description =
                    "Refused (409) when the query could not resume from its checkpoint with the change (another source,"
                            + " output mode or sink kind, or a stateful transform changed), unless resetCheckpoint=true.")
    PipelineView update(
            @PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name,
            @Valid @RequestBody PipelineDefinition definition,
            @Parameter(description = "Delete the checkpoint when the change needs it; the query then starts afresh")
                    @RequestParam(defaultValue = "false")
                    boolean resetCheckpoint) {
        return catalog.update(name, definition, resetCheckpoint);
    }

    @DeleteMapping("/{name}")
    @Operation(summary = "Stop and remove a pipeline created over the API")
    ResponseEntity<Void> delete(
            @PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name,
            @Parameter(description = "Also delete its checkpoint") @RequestParam(defaultValue = "false")
                    boolean deleteCheckpoint) {
        catalog.delete(name, deleteCheckpoint);
        return ResponseEntity.noContent().build();
    }
}
