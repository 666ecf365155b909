package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.definition.MemoryTables;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.PipelineStatus;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Lists, starts, stops and inspects the pipelines' streaming queries. */
@RestController
class RunController {

    /** Where a pipeline's runs are controlled; {@code /api/queries/{name}} is the older name of the same. */
    static final String PIPELINE = "/api/pipelines/{name}";

    static final String QUERY = "/api/queries/{name}";

    private final PipelineRuns manager;
    private final ObjectMapper objectMapper;

    private final MemoryTables memoryTables;

    RunController(PipelineRuns manager, ObjectMapper objectMapper, MemoryTables memoryTables) {
        this.manager = manager;
        this.objectMapper = objectMapper;
        this.memoryTables = memoryTables;
    }

    /** The newest rows of a pipeline with a memory sink. */
    @GetMapping({PIPELINE + "/rows", QUERY + "/rows"})
    MemoryTables.Snapshot rows(
            @PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name,
            @RequestParam(defaultValue = "100") @Min(1) @Max(10000) int limit) {
        manager.state(name);
        return memoryTables.read(name, limit).orElseThrow(() -> new NoMemoryTableException(name));
    }

    @GetMapping("/api/queries")
    List<PipelineStatus> list() {
        return manager.list();
    }

    @GetMapping({PIPELINE + "/status", QUERY})
    PipelineStatus status(@PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name) {
        return manager.status(name);
    }

    @PostMapping({PIPELINE + "/start", QUERY + "/start"})
    PipelineStatus start(@PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name) {
        return manager.start(name);
    }

    @PostMapping({PIPELINE + "/stop", QUERY + "/stop"})
    PipelineStatus stop(@PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name) {
        return manager.stop(name);
    }

    /** The Kafka offsets committed in the pipeline's checkpoint. */
    @GetMapping({PIPELINE + "/offsets", QUERY + "/offsets"})
    CheckpointOffsets offsets(@PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name) {
        return manager.offsets(name);
    }

    /** Discards the checkpoint of a stopped pipeline; its next start reads from the given point. */
    @PostMapping({PIPELINE + "/reset", QUERY + "/reset"})
    PipelineStatus reset(
            @PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name,
            @Valid @RequestBody ResetRequest request) {
        return manager.reset(name, request.startingPoint());
    }

    /** Spark's own progress reports, oldest first. */
    @GetMapping({PIPELINE + "/progress", QUERY + "/progress"})
    List<JsonNode> progress(
            @PathVariable @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String name,
            @RequestParam(defaultValue = "10") @Min(1) @Max(100) int limit)
            throws JsonProcessingException {
        List<JsonNode> progress = new ArrayList<>();
        for (String json : manager.progress(name, limit)) {
            progress.add(objectMapper.readTree(json));
        }
        return progress;
    }
}
