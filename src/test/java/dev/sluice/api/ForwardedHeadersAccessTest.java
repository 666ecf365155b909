package dev.sluice.api;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.sluice.audit.AuditStore;
import dev.sluice.definition.MemoryTables;
import dev.sluice.run.PipelineRuns;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * Where the server takes forwarded headers as the client's address, a local address proves
 * nothing: without credentials the control API then answers nobody.
 */
@WebMvcTest(controllers = RunController.class, properties = "server.forward-headers-strategy=native")
@Import({SecurityConfiguration.class, AuditTrail.class, MemoryTables.class})
class ForwardedHeadersAccessTest {

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private PipelineRuns manager;

    @MockitoBean
    private AuditStore auditStore;

    @Test
    void aLocalAddressIsNotEnough() throws Exception {
        mvc.perform(get("/api/queries").with(request -> {
                    request.setRemoteAddr("127.0.0.1");
                    return request;
                }))
                .andExpect(status().isUnauthorized());
    }
}
