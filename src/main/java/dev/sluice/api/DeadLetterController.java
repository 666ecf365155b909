package dev.sluice.api;

import dev.sluice.deadletter.DeadLetter;
import dev.sluice.deadletter.DeadLetterFilter;
import dev.sluice.deadletter.DeadLetterStore;
import dev.sluice.deadletter.KafkaPublisher;
import dev.sluice.definition.PipelineDefinition;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Lazy;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The dead letters: read them (viewers), replay them into Kafka or purge them (operators). */
@RestController
@Validated
@RequestMapping("/api/dead-letters")
@Tag(
        name = "Dead letters",
        description = "Records a pipeline could not accept or a table refused: read, replay into Kafka, purge")
class DeadLetterController {

    private static final String REASON = "[A-Z0-9_]{1,64}";
    private static final String CURSOR = "[0-9]{1,19}";

    /**
     * Which dead letters to replay, and where.
     *
     * @param topic the topic to publish into; unset: each dead letter's own source topic
     */
    record ReplayRequest(
            @Pattern(regexp = PipelineDefinition.NAME_PATTERN)
            String pipeline,

            @Pattern(regexp = REASON) String reason,
            @Size(max = 1000) List<Long> ids,
            Instant since,
            @Pattern(regexp = KafkaPublisher.TOPIC_NAME) String topic) {}

    private final DeadLetterStore store;
    private final DeadLetterStore.Publisher publisher;

    /** @param publisher made on the first replay */
    DeadLetterController(DeadLetterStore store, @Lazy DeadLetterStore.Publisher publisher) {
        this.store = store;
        this.publisher = publisher;
    }

    @GetMapping
    @Operation(summary = "Dead letters, newest first, a page at a time (next: the cursor of the next page)")
    DeadLetterStore.Page find(
            @Parameter(description = "Only this pipeline's")
                    @RequestParam(required = false)
                    @Pattern(regexp = PipelineDefinition.NAME_PATTERN)
                    String pipeline,
            @Parameter(description = "Only this reason's, such as MALFORMED_JSON")
                    @RequestParam(required = false)
                    @Pattern(regexp = REASON)
                    String reason,
            @Parameter(description = "Only those recorded at or after this instant (ISO-8601)")
                    @RequestParam(required = false)
                    Instant since,
            @Parameter(description = "At most this many") @RequestParam(defaultValue = "50") @Min(1) @Max(500)
                    int limit,
            @Parameter(description = "The cursor a page gave as next")
                    @RequestParam(required = false)
                    @Pattern(regexp = CURSOR)
                    String after) {
        return store.find(
                new DeadLetterFilter(pipeline, reason, null, since, null),
                limit,
                after == null ? null : Long.valueOf(after));
    }

    @GetMapping("/{id}")
    @Operation(summary = "One dead letter, with its raw key and value")
    DeadLetter get(@PathVariable @Min(1) long id) {
        return store.get(id).orElseThrow(() -> new UnknownDeadLetterException(id));
    }

    @PostMapping("/replay")
    @Operation(
            summary = "Publishes the chosen dead letters' raw values into Kafka again, once each",
            description =
                    "Each record carries its key (so it goes to its key's partition), its original"
                            + " headers while Kafka still keeps the record, and the headers sluice-dead-letter-id and"
                            + " sluice-dead-letter-reason. A dead letter already replayed is not replayed again. Give pipeline or ids.")
    Map<String, Integer> replay(@Valid @RequestBody ReplayRequest request) {
        if (request.pipeline() == null
                && (request.ids() == null || request.ids().isEmpty())) {
            throw new DeadLetterRequestException("give pipeline or ids: which dead letters to replay");
        }
        try {
            int replayed = store.replay(
                    new DeadLetterFilter(request.pipeline(), request.reason(), request.ids(), request.since(), null),
                    request.topic(),
                    publisher);
            return Map.of("replayed", replayed);
        } catch (IllegalArgumentException e) {
            throw new DeadLetterRequestException(e.getMessage());
        }
    }

    @DeleteMapping
    @Operation(summary = "Deletes dead letters: of a pipeline, of a reason, recorded before an instant")
    Map<String, Integer> purge(
            @RequestParam(required = false) @Pattern(regexp = PipelineDefinition.NAME_PATTERN) String pipeline,
            @RequestParam(required = false) @Pattern(regexp = REASON) String reason,
            @RequestParam(required = false) Instant before) {
        if (pipeline == null && before == null) {
            throw new DeadLetterRequestException("give pipeline or before: which dead letters to delete");
        }
        return Map.of("deleted", store.purge(new DeadLetterFilter(pipeline, reason, null, null, before)));
    }
}
