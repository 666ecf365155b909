package dev.sluice.api;

import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.sluice.audit.AuditStore;
import dev.sluice.definition.MemoryTables;
import dev.sluice.pipeline.CheckpointOffsets;
import dev.sluice.pipeline.StartingPoint;
import dev.sluice.run.DesiredState;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.PipelineStatus;
import dev.sluice.run.RunStartException;
import dev.sluice.run.RunState;
import dev.sluice.run.RunStateConflictException;
import dev.sluice.run.UnknownPipelineException;
import java.util.List;
import java.util.Map;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** The HTTP contract of the control API, with the manager's answers stubbed. */
@WebMvcTest(RunController.class)
@Import({SecurityConfiguration.class, AuditTrail.class, MemoryTables.class})
class RunControllerTest {

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private PipelineRuns manager;

    @MockitoBean
    private AuditStore auditStore;

    @Test
    void listsPipelines() throws Exception {
        given(manager.list()).willReturn(List.of(stopped("car-info-to-postgres")));

        mvc.perform(get("/api/queries"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].name").value("car-info-to-postgres"))
                .andExpect(jsonPath("$[0].state").value("STOPPED"))
                .andExpect(jsonPath("$[0].sink.rowsWritten").value(0));
    }

    /** "Pipeline" is the noun: each call also answers under /api/pipelines/{name}, as under /api/queries/{name}. */
    @Test
    void everyCallAnswersUnderThePipelinesPathToo() throws Exception {
        given(manager.stop("p"))
                .willThrow(new RunStateConflictException("p", RunState.STOPPED, "Pipeline 'p' is not running"));
        given(manager.status("nope")).willThrow(new UnknownPipelineException("nope"));

        mvc.perform(post("/api/pipelines/p/start")).andExpect(status().isOk());
        mvc.perform(post("/api/pipelines/p/stop"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.state").value("STOPPED"));
        mvc.perform(get("/api/pipelines/nope/status"))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.instance").value("/api/pipelines/nope/status"));
        mvc.perform(get("/api/pipelines/p/progress").param("limit", "1000")).andExpect(status().isBadRequest());
        mvc.perform(get("/api/pipelines/p/offsets")).andExpect(status().isOk());

        verify(manager).start("p");
        verify(manager).offsets("p");
    }

    @Test
    void unknownPipelineIs404Problem() throws Exception {
        given(manager.status("nope")).willThrow(new UnknownPipelineException("nope"));

        mvc.perform(get("/api/queries/nope"))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(404))
                .andExpect(jsonPath("$.title").value("Unknown pipeline"))
                .andExpect(jsonPath("$.type").value("urn:sluice:problem:unknown-query"))
                .andExpect(jsonPath("$.detail").value("No pipeline is named 'nope'"))
                .andExpect(jsonPath("$.instance").value("/api/queries/nope"));
    }

    @Test
    void startingARunningPipelineIs409ProblemWithItsState() throws Exception {
        given(manager.start("p"))
                .willThrow(new RunStateConflictException("p", RunState.RUNNING, "Pipeline 'p' is already running"));

        mvc.perform(post("/api/queries/p/start"))
                .andExpect(status().isConflict())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.state").value("RUNNING"))
                .andExpect(jsonPath("$.detail").value("Pipeline 'p' is already running"));
    }

    @Test
    void stoppingAStoppedPipelineIs409Problem() throws Exception {
        given(manager.stop("p"))
                .willThrow(new RunStateConflictException("p", RunState.STOPPED, "Pipeline 'p' is not running"));

        mvc.perform(post("/api/queries/p/stop"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.state").value("STOPPED"));
    }

    @Test
    void invalidNameIs400Problem() throws Exception {
        mvc.perform(get("/api/queries/Bad_Name!"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.status").value(400));
    }

    @Test
    void outOfRangeOrNonNumericLimitIs400Problem() throws Exception {
        mvc.perform(get("/api/queries/p/progress").param("limit", "0"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        mvc.perform(get("/api/queries/p/progress").param("limit", "1000")).andExpect(status().isBadRequest());
        mvc.perform(get("/api/queries/p/progress").param("limit", "ten"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void wrongMethodAndUnknownPathAreProblemsToo() throws Exception {
        mvc.perform(get("/api/queries/p/start"))
                .andExpect(status().isMethodNotAllowed())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
        mvc.perform(get("/api/nothing-here"))
                .andExpect(status().isNotFound())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON));
    }

    @Test
    void progressIsSparksJsonOldestFirst() throws Exception {
        given(manager.progress("p", 2)).willReturn(List.of("{\"batchId\": 4}", "{\"batchId\": 5}"));

        mvc.perform(get("/api/queries/p/progress").param("limit", "2"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].batchId").value(4))
                .andExpect(jsonPath("$[1].batchId").value(5));
    }

    @Test
    void aStartFailureIsAProblemWithoutStackTrace() throws Exception {
        given(manager.start("p"))
                .willThrow(new RunStartException(
                        "p",
                        "Pipeline 'p' could not start: checkpoint unreadable",
                        new IllegalStateException("checkpoint unreadable")));

        mvc.perform(post("/api/queries/p/start"))
                .andExpect(status().isInternalServerError())
                .andExpect(jsonPath("$.title").value("Pipeline could not start"))
                .andExpect(jsonPath("$.detail").value("Pipeline 'p' could not start: checkpoint unreadable"))
                .andExpect(jsonPath("$.trace").doesNotExist())
                .andExpect(content().string(Matchers.not(Matchers.containsString("at dev.sluice"))));
    }

    @Test
    void resetTakesAStartingPointAndRefusesMalformedBodiesPrecisely() throws Exception {
        given(manager.reset(org.mockito.ArgumentMatchers.eq("p"), org.mockito.ArgumentMatchers.any()))
                .willReturn(stopped("p"));

        mvc.perform(post("/api/queries/p/reset")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content("{\"from\": \"timestamp\", \"timestamp\": \"2026-11-21T00:00:00Z\"}"))
                .andExpect(status().isOk());
        org.mockito.Mockito.verify(manager)
                .reset(
                        "p",
                        new StartingPoint(
                                StartingPoint.Kind.TIMESTAMP, java.time.Instant.parse("2026-11-21T00:00:00Z")));

        expectBadRequest("{\"from\": \"earliest\", \"force\": true}", "Unknown field 'force'");
        expectBadRequest(
                "{\"from\": \"yesterday\"}",
                "Invalid value 'yesterday' for 'from'; expected one of [earliest, latest, timestamp]");
        expectBadRequest(
                "{\"from\": \"timestamp\", \"timestamp\": \"last tuesday\"}",
                "Invalid value 'last tuesday' for 'timestamp'");
        expectBadRequest(
                "{\"from\": \"timestamp\"}",
                "timestamp is required when from is 'timestamp', and not allowed otherwise");
        expectBadRequest(
                "{\"from\": \"earliest\", \"timestamp\": \"2026-11-21T00:00:00Z\"}",
                "timestamp is required when from is 'timestamp', and not allowed otherwise");
        expectBadRequest("{}", "from: must not be null");
        expectBadRequest("{\"from\": ", "The body is not valid JSON");
        expectBadRequest("", "The request body is missing or unreadable");
    }

    @Test
    void offsetsAreTheCheckpointsKafkaPositions() throws Exception {
        given(manager.offsets("p"))
                .willReturn(new CheckpointOffsets(12L, Map.of("car_info", Map.of(0, 40L, 1, 38L)), 13L));

        mvc.perform(get("/api/queries/p/offsets"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.committedBatchId").value(12))
                .andExpect(jsonPath("$.offsets.car_info.0").value(40))
                .andExpect(jsonPath("$.plannedBatchId").value(13));
    }

    private void expectBadRequest(String body, String detail) throws Exception {
        mvc.perform(post("/api/queries/p/reset")
                        .contentType(MediaType.APPLICATION_JSON)
                        .content(body))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
                .andExpect(jsonPath("$.detail").value(detail));
    }

    private static PipelineStatus stopped(String name) {
        return new PipelineStatus(
                name,
                RunState.STOPPED,
                DesiredState.STOPPED,
                true,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                new PipelineStatus.SinkTotals(0, 0, 0, Map.of()),
                null);
    }
}
