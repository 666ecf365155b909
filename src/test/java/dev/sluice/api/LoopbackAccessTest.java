package dev.sluice.api;

import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.sluice.audit.AuditStore;
import dev.sluice.definition.MemoryTables;
import dev.sluice.run.PipelineRuns;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

/** Without any credential configured, the control API answers clients on this host only, and not through a proxy. */
@WebMvcTest(controllers = RunController.class)
@Import({SecurityConfiguration.class, AuditTrail.class, MemoryTables.class})
class LoopbackAccessTest {

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private PipelineRuns manager;

    @MockitoBean
    private AuditStore auditStore;

    @Test
    void aClientOnThisHostIsAnswered() throws Exception {
        given(manager.list()).willReturn(List.of());

        mvc.perform(get("/api/queries").with(from("127.0.0.1")))
                .andExpect(status().isOk())
                .andExpect(content().json("[]"));
        mvc.perform(get("/api/queries").with(from("::1"))).andExpect(status().isOk());
    }

    @Test
    void aClientElsewhereIs401Problem() throws Exception {
        mvc.perform(get("/api/queries").with(from("203.0.113.9")))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail").value("This call needs 'Authorization: Bearer <token>'"));
    }

    @Test
    void aRequestForwardedByALocalProxyIsNotLocal() throws Exception {
        mvc.perform(get("/api/queries").with(from("127.0.0.1")).header("X-Forwarded-For", "203.0.113.9"))
                .andExpect(status().isUnauthorized());
        mvc.perform(get("/api/queries").with(from("127.0.0.1")).header("Forwarded", "for=203.0.113.9"))
                .andExpect(status().isUnauthorized());
    }

    private static RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }
}
