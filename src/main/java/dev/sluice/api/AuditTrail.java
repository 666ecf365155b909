package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.audit.AuditEntry;
import dev.sluice.audit.AuditStore;
import dev.sluice.definition.PipelineDefinition;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingRequestWrapper;

/**
 * Records every control action on {@code /api/**} (any call but a read) and every refused call,
 * in PostgreSQL and as one log line ({@code dev.sluice.audit}), after the answer is known: who,
 * what, on which pipeline, the outcome, and the definition a create or change carried. The
 * credential itself is never recorded. Runs inside the security filter chain, around
 * authentication, so refusals are recorded too.
 */
@Component
class AuditTrail {

    private static final Logger log = LoggerFactory.getLogger("dev.sluice.audit");
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    private static final Set<String> PARAMETERS = Set.of("dryRun", "resetCheckpoint", "deleteCheckpoint");
    private static final int MAX_DEFINITION = 64 * 1024;
    private static final Pattern QUERY_ACTION =
            Pattern.compile("/api/(?:queries|pipelines)/(" + PipelineDefinition.NAME_PATTERN + ")/(start|stop|reset)");
    private static final Pattern PIPELINE = Pattern.compile("/api/pipelines/(" + PipelineDefinition.NAME_PATTERN + ")");
    private static final Pattern ANY_PIPELINE =
            Pattern.compile("/api/(?:queries|pipelines)/(" + PipelineDefinition.NAME_PATTERN + ")(?:/.*)?");

    private final AuditStore store;
    private final ObjectMapper json;

    AuditTrail(AuditStore store, ObjectMapper json) {
        this.store = store;
        this.json = json;
    }

    /** The filter (not a bean of its own, so the servlet container does not run it a second time). */
    OncePerRequestFilter filter() {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                String path = request.getRequestURI();
                if (path == null || !(path.equals("/api") || path.startsWith("/api/"))) {
                    chain.doFilter(request, response);
                    return;
                }
                boolean action = !READS.contains(request.getMethod());
                HttpServletRequest recorded =
                        action ? new ContentCachingRequestWrapper(request, MAX_DEFINITION) : request;
                try {
                    chain.doFilter(recorded, response);
                } finally {
                    int status = response.getStatus();
                    if (action || status == 401 || status == 403) {
                        record(recorded, status);
                    }
                }
            }
        };
    }

    private void record(HttpServletRequest request, int status) {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        boolean known = caller != null && caller.isAuthenticated() && !(caller instanceof AnonymousAuthenticationToken);
        String actor = !known
                ? "anonymous"
                : caller instanceof JwtAuthenticationToken jwt ? "jwt:" + jwt.getName() : caller.getName();
        String role =
                known ? Role.highest(caller.getAuthorities()).map(Role::label).orElse(null) : null;
        String method = request.getMethod();
        String path = request.getRequestURI();
        String definition = definition(request, method, path);
        String pipeline = pipeline(path, definition);
        AuditEntry entry = new AuditEntry(
                null,
                null,
                clip(actor, 256),
                role,
                action(request, method, path),
                pipeline,
                clip(method, 16),
                clip(path, 512),
                parameters(request),
                status,
                status == 401 || status == 403 ? "refused" : status < 400 ? "ok" : "failed",
                definition);
        log.info(
                "audit action={} pipeline={} actor={} role={} status={} outcome={} method={} path={}",
                entry.action(),
                entry.pipeline(),
                entry.actor(),
                entry.role(),
                entry.status(),
                entry.outcome(),
                entry.method(),
                entry.path());
        try {
            store.add(entry);
        } catch (DataAccessException e) {
            log.warn(
                    "audit entry not stored (the database is unavailable): {}",
                    e.getMostSpecificCause().getMessage());
        }
    }

    private static String action(HttpServletRequest request, String method, String path) {
        Matcher query = QUERY_ACTION.matcher(path);
        if ("POST".equals(method) && query.matches()) {
            return query.group(2);
        }
        if ("POST".equals(method) && path.equals("/api/pipelines")) {
            return "true".equalsIgnoreCase(request.getParameter("dryRun")) ? "dry-run" : "create";
        }
        if ("POST".equals(method) && path.equals("/api/dead-letters/replay")) {
            return "replay-dead-letters";
        }
        if ("DELETE".equals(method) && path.equals("/api/dead-letters")) {
            return "purge-dead-letters";
        }
        if (PIPELINE.matcher(path).matches()) {
            if ("PUT".equals(method)) {
                return "change";
            }
            if ("DELETE".equals(method)) {
                return "delete";
            }
        }
        return READS.contains(method) ? "read" : clip(method.toLowerCase(Locale.ROOT), 64);
    }

    private String pipeline(String path, String definition) {
        Matcher named = ANY_PIPELINE.matcher(path);
        if (named.matches()) {
            return named.group(1);
        }
        if (definition != null) {
            try {
                JsonNode name = json.readTree(definition).path("name");
                if (name.isTextual() && name.asText().matches(PipelineDefinition.NAME_PATTERN)) {
                    return name.asText();
                }
            } catch (JsonProcessingException e) {
                return null;
            }
        }
        return null;
    }

    /** A create's or change's body: as sent when it is JSON, else as a JSON string; NUL characters replaced. */
    private String definition(HttpServletRequest request, String method, String path) {
        if (!(request instanceof ContentCachingRequestWrapper cached)
                || !path.startsWith("/api/pipelines")
                || !("POST".equals(method) || "PUT".equals(method))) {
            return null;
        }
        byte[] body = cached.getContentAsByteArray();
        if (body.length == 0) {
            return null;
        }
        String text = new String(body, StandardCharsets.UTF_8).replace('\0', '\uFFFD');
        try {
            return json.writeValueAsString(json.readTree(text));
        } catch (JsonProcessingException e) {
            try {
                return json.writeValueAsString(text);
            } catch (JsonProcessingException impossible) {
                return null;
            }
        }
    }

    private static String parameters(HttpServletRequest request) {
        List<String> given = new ArrayList<>();
        for (String name : PARAMETERS) {
            String value = request.getParameter(name);
            if (value != null) {
                given.add(name + "=" + clip(value, 16));
            }
        }
        return given.isEmpty() ? null : String.join("&", given.stream().sorted().toList());
    }

    private static String clip(String text, int length) {
        String clean = text.replace('\0', '\uFFFD');
        return clean.length() > length ? clean.substring(0, length) : clean;
    }
}
