package dev.sluice.api;

import dev.sluice.audit.AuditEntry;
import dev.sluice.audit.AuditStore;
import dev.sluice.definition.PipelineDefinition;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import java.time.Instant;
import java.util.List;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The audit trail of control actions, for admins. */
@RestController
@Validated
@RequestMapping("/api/audit")
@Tag(
        name = "Audit",
        description =
                "Who started, stopped, reset, created, changed or deleted what, and every refused call (admin role)")
class AuditController {

    private final AuditStore store;

    AuditController(AuditStore store) {
        this.store = store;
    }

    @GetMapping
    @Operation(summary = "Control actions and refused calls, newest first")
    List<AuditEntry> find(
            @Parameter(description = "Only this pipeline's entries")
                    @RequestParam(required = false)
                    @Pattern(regexp = PipelineDefinition.NAME_PATTERN)
                    String pipeline,
            @Parameter(description = "Only entries at or after this instant (ISO-8601, such as 2026-11-29T10:00:00Z)")
                    @RequestParam(required = false)
                    Instant since,
            @Parameter(description = "At most this many entries") @RequestParam(defaultValue = "100") @Min(1) @Max(1000)
                    int limit) {
        return store.find(pipeline, since, limit);
    }
}
