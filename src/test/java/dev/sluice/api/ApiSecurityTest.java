package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.sluice.audit.AuditEntry;
import dev.sluice.audit.AuditStore;
import dev.sluice.definition.MemoryTables;
import dev.sluice.run.PipelineRuns;
import java.util.List;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * With role tokens configured, the control API answers each caller by its role: 401 problem
 * without a valid token (a local caller included), 403 problem outside the role, and the legacy
 * {@code api-token} is an admin token.
 */
@WebMvcTest(
        controllers = RunController.class,
        properties = {
            "sluice.security.api-token=" + ApiSecurityTest.TOKEN,
            "sluice.security.viewer-tokens=" + ApiSecurityTest.VIEWER,
            "sluice.security.operator-tokens=other-operator," + ApiSecurityTest.OPERATOR,
        })
@Import({SecurityConfiguration.class, AuditTrail.class, MemoryTables.class})
class ApiSecurityTest {

    static final String TOKEN = "test-token-4f1c9a";
    static final String VIEWER = "viewer-token-77a0";
    static final String OPERATOR = "operator-token-0c3e";

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private PipelineRuns manager;

    @MockitoBean
    private AuditStore auditStore;

    @Test
    void withoutATokenTheCallIs401ProblemAndNothingHappensEvenFromLoopback() throws Exception {
        mvc.perform(post("/api/queries/car-info-to-postgres/stop"))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", "Bearer"))
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(401))
                .andExpect(jsonPath("$.title").value("Unauthorized"));
        verify(manager, never()).stop(anyString());
        ArgumentCaptor<AuditEntry> entry = ArgumentCaptor.forClass(AuditEntry.class);
        verify(auditStore).add(entry.capture());
        assertThat(entry.getValue())
                .extracting(
                        AuditEntry::action,
                        AuditEntry::pipeline,
                        AuditEntry::actor,
                        AuditEntry::status,
                        AuditEntry::outcome)
                .containsExactly("stop", "car-info-to-postgres", "anonymous", 401, "refused");
    }

    @Test
    void aWrongTokenIs401AndIsNeverEchoed() throws Exception {
        mvc.perform(get("/api/queries").header("Authorization", "Bearer not-the-token"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(content().string(Matchers.not(Matchers.containsString("not-the-token"))))
                .andExpect(content().string(Matchers.not(Matchers.containsString(TOKEN))));
        mvc.perform(get("/api/queries").header("Authorization", "Basic dXNlcjpwYXNz"))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void aViewerReadsButCannotStop() throws Exception {
        given(manager.list()).willReturn(List.of());

        mvc.perform(get("/api/queries").header("Authorization", "Bearer " + VIEWER))
                .andExpect(status().isOk())
                .andExpect(content().json("[]"));
        mvc.perform(post("/api/queries/car-info-to-postgres/stop").header("Authorization", "Bearer " + VIEWER))
                .andExpect(status().isForbidden())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(
                        jsonPath("$.detail")
                                .value(
                                        "The viewer role may not call POST /api/queries/car-info-to-postgres/stop; it needs operator"));
        verify(manager, never()).stop(anyString());
        ArgumentCaptor<AuditEntry> entry = ArgumentCaptor.forClass(AuditEntry.class);
        verify(auditStore).add(entry.capture());
        assertThat(entry.getValue())
                .extracting(AuditEntry::actor, AuditEntry::role, AuditEntry::outcome)
                .containsExactly("viewer-1", "viewer", "refused");
    }

    @Test
    void anOperatorStopsAndTheLegacyTokenIsAnAdmin() throws Exception {
        mvc.perform(post("/api/queries/car-info-to-postgres/stop").header("Authorization", "Bearer " + OPERATOR))
                .andExpect(status().isOk());
        mvc.perform(post("/api/queries/car-info-to-postgres/start").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isOk());

        verify(manager).stop("car-info-to-postgres");
        verify(manager).start("car-info-to-postgres");
        ArgumentCaptor<AuditEntry> entries = ArgumentCaptor.forClass(AuditEntry.class);
        verify(auditStore, atLeastOnce()).add(entries.capture());
        assertThat(entries.getAllValues())
                .extracting(AuditEntry::action, AuditEntry::actor, AuditEntry::role, AuditEntry::outcome)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("stop", "operator-2", "operator", "ok"),
                        org.assertj.core.groups.Tuple.tuple("start", "admin-api-token", "admin", "ok"));
    }

    @Test
    void theAuditTrailIsForAdminsOnly() throws Exception {
        mvc.perform(get("/api/audit").header("Authorization", "Bearer " + OPERATOR))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.detail").value("The operator role may not call GET /api/audit; it needs admin"));
        verify(auditStore, never()).find(any(), any(), org.mockito.ArgumentMatchers.anyInt());
    }

    @Test
    void viewersReadDeadLettersButOnlyOperatorsReplayOrPurgeThem() throws Exception {
        mvc.perform(post("/api/dead-letters/replay")
                        .header("Authorization", "Bearer " + VIEWER)
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"pipeline\": \"p\"}"))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.detail")
                        .value("The viewer role may not call POST /api/dead-letters/replay; it needs operator"));
        mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/dead-letters")
                        .header("Authorization", "Bearer " + VIEWER))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.detail")
                        .value("The viewer role may not call DELETE /api/dead-letters; it needs operator"));
    }
}
