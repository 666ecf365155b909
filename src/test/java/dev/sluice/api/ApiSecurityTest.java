package dev.sluice.api;

import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.sluice.definition.MemoryTables;
import dev.sluice.query.StreamingQueryManager;
import java.util.List;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** With an API token configured, the control API answers only callers that present it. */
@WebMvcTest(controllers = QueryController.class, properties = "sluice.security.api-token=" + ApiSecurityTest.TOKEN)
@Import({SecurityConfiguration.class, MemoryTables.class})
class ApiSecurityTest {

    static final String TOKEN = "test-token-4f1c9a";

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private StreamingQueryManager manager;

    @Test
    void withoutATokenTheCallIs401ProblemAndNothingHappens() throws Exception {
        mvc.perform(post("/api/queries/car-info-to-postgres/stop"))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", "Bearer"))
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(401))
                .andExpect(jsonPath("$.title").value("Unauthorized"));
        verify(manager, never()).stop(anyString());
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
    void theRightTokenIsLetThrough() throws Exception {
        given(manager.list()).willReturn(List.of());

        mvc.perform(get("/api/queries").header("Authorization", "Bearer " + TOKEN))
                .andExpect(status().isOk())
                .andExpect(content().json("[]"));
    }
}
