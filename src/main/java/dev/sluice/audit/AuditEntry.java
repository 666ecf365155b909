package dev.sluice.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;

/**
 * One control action, or one refused call.
 *
 * @param id the entry's place in the trail
 * @param at when the service answered
 * @param actor who called: a JWT's subject, a token's role and place ({@code operator-2}),
 *     {@code loopback} (a local client without credentials) or {@code anonymous}
 * @param role the caller's highest role, if any
 * @param action {@code start}, {@code stop}, {@code reset}, {@code create}, {@code dry-run},
 *     {@code change}, {@code delete}, or the method of any other call
 * @param pipeline the pipeline acted on, when there is one
 * @param method the HTTP method
 * @param path the request path
 * @param parameters the action's parameters ({@code dryRun}, {@code resetCheckpoint},
 *     {@code deleteCheckpoint})
 * @param status the HTTP status answered
 * @param outcome {@code ok}, {@code refused} (401, 403) or {@code failed}
 * @param definition the definition a create or change carried, as sent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditEntry(
        Long id,
        Instant at,
        String actor,
        String role,
        String action,
        String pipeline,
        String method,
        String path,
        String parameters,
        int status,
        String outcome,
        @JsonRawValue String definition) {}
