package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.sluice.deadletter.DeadLetterStore;
import dev.sluice.definition.InvalidDefinitionException;
import dev.sluice.definition.PipelineConflictException;
import dev.sluice.pipeline.PipelineRefusal;
import dev.sluice.pipeline.Redaction;
import dev.sluice.run.CheckpointAccessException;
import dev.sluice.run.RunStartException;
import dev.sluice.run.RunStateConflictException;
import dev.sluice.run.UnknownPipelineException;
import jakarta.validation.ConstraintViolationException;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.MessageSourceResolvable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;
import org.springframework.validation.method.ParameterValidationResult;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error of the API as an RFC 7807 problem: domain errors here, Spring MVC's own (bad
 * parameters, unknown paths, wrong methods) through {@link ResponseEntityExceptionHandler}.
 * Bodies never carry stack traces.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    @ExceptionHandler(UnknownPipelineException.class)
    ResponseEntity<ProblemDetail> unknownQuery(UnknownPipelineException e) {
        ProblemDetail problem =
                ProblemResponses.problem(HttpStatus.NOT_FOUND, "unknown-query", "Unknown pipeline", e.getMessage());
        problem.setProperty("name", e.name());
        return respond(problem);
    }

    @ExceptionHandler(RunStateConflictException.class)
    ResponseEntity<ProblemDetail> stateConflict(RunStateConflictException e) {
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.CONFLICT, "query-state-conflict", "Pipeline state conflict", e.getMessage());
        problem.setProperty("name", e.name());
        problem.setProperty("state", e.state());
        return respond(problem);
    }

    /** A definition Spark (or Sluice) would not run: every problem, with its field and SQL position. */
    @ExceptionHandler(InvalidDefinitionException.class)
    ResponseEntity<ProblemDetail> invalidDefinition(InvalidDefinitionException e) {
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.BAD_REQUEST, "invalid-definition", "Invalid pipeline definition", e.getMessage());
        problem.setProperty("name", e.name());
        problem.setProperty("errors", e.problems());
        return respond(problem);
    }

    @ExceptionHandler(PipelineConflictException.class)
    ResponseEntity<ProblemDetail> pipelineConflict(PipelineConflictException e) {
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.CONFLICT, "pipeline-" + e.reason(), "Pipeline change refused", e.getMessage());
        problem.setProperty("name", e.name());
        return respond(problem);
    }

    @ExceptionHandler(UnknownDeadLetterException.class)
    ResponseEntity<ProblemDetail> unknownDeadLetter(UnknownDeadLetterException e) {
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.NOT_FOUND, "unknown-dead-letter", "Unknown dead letter", e.getMessage());
        problem.setProperty("id", e.id());
        return respond(problem);
    }

    @ExceptionHandler(DeadLetterRequestException.class)
    ResponseEntity<ProblemDetail> deadLetterRequest(DeadLetterRequestException e) {
        return respond(ProblemResponses.problem(
                HttpStatus.BAD_REQUEST, "invalid-dead-letter-request", "Invalid dead-letter request", e.getMessage()));
    }

    /** Kafka did not take a replay: nothing of the chunk was marked replayed, so it can be tried again. */
    @ExceptionHandler(DeadLetterStore.ReplayException.class)
    ResponseEntity<ProblemDetail> replayFailed(DeadLetterStore.ReplayException e) {
        return respond(ProblemResponses.problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                "dead-letter-replay-failed",
                "Dead letters not replayed",
                Redaction.redact(e.getMessage())));
    }

    @ExceptionHandler(NoMemoryTableException.class)
    ResponseEntity<ProblemDetail> noMemoryTable(NoMemoryTableException e) {
        ProblemDetail problem =
                ProblemResponses.problem(HttpStatus.NOT_FOUND, "no-memory-table", "No in-memory table", e.getMessage());
        problem.setProperty("name", e.name());
        return respond(problem);
    }

    @ExceptionHandler(RunStartException.class)
    ResponseEntity<ProblemDetail> startFailed(RunStartException e) {
        if (e.getCause() instanceof InvalidDefinitionException invalid) {
            // A stored definition that no longer passes the checks: the caller must change it.
            ProblemDetail problem = ProblemResponses.problem(
                    HttpStatus.CONFLICT,
                    "pipeline-invalid",
                    "Pipeline definition no longer valid",
                    invalid.getMessage());
            problem.setProperty("name", e.name());
            problem.setProperty("errors", invalid.problems());
            return respond(problem);
        }
        if (PipelineRefusal.in(e).isPresent()) {
            // The data or the definition must change first (rows sharing a key, say): the caller's to mend.
            ProblemDetail problem = ProblemResponses.problem(
                    HttpStatus.CONFLICT,
                    "pipeline-refused",
                    "Pipeline cannot run until its data is mended",
                    e.getMessage());
            problem.setProperty("name", e.name());
            return respond(problem);
        }
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.INTERNAL_SERVER_ERROR, "query-start-failed", "Pipeline could not start", e.getMessage());
        problem.setProperty("name", e.name());
        return respond(problem);
    }

    @ExceptionHandler(CheckpointAccessException.class)
    ResponseEntity<ProblemDetail> checkpointAccess(CheckpointAccessException e) {
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.SERVICE_UNAVAILABLE, "checkpoint-unavailable", "Checkpoint unavailable", e.getMessage());
        problem.setProperty("name", e.name());
        return respond(problem);
    }

    /** Bad JSON, unknown fields, wrong types: say which field, never echo a parser trace. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        Throwable cause = e.getCause();
        String detail;
        if (cause instanceof UnrecognizedPropertyException unknown) {
            detail = "Unknown field '" + unknown.getPropertyName() + "'";
        } else if (cause instanceof InvalidFormatException invalid) {
            detail = "Invalid value " + quote(invalid.getValue()) + " for '" + path(invalid) + "'";
            if (invalid.getTargetType() != null && invalid.getTargetType().isEnum()) {
                detail += "; expected one of "
                        + Arrays.toString(invalid.getTargetType().getEnumConstants())
                                .toLowerCase();
            }
        } else if (cause instanceof MismatchedInputException mismatched) {
            detail = "Wrong type for '" + path(mismatched) + "'";
        } else if (cause instanceof JsonProcessingException) {
            detail = "The body is not valid JSON";
        } else {
            detail = "The request body is missing or unreadable";
        }
        ProblemDetail problem =
                ProblemResponses.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
        return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
    }

    /** Bean-validation failures of a body: every broken rule in {@code errors}. */
    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(
            MethodArgumentNotValidException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> errors = e.getBindingResult().getAllErrors().stream()
                .map(error ->
                        error instanceof FieldError field && !field.getField().endsWith("Consistent")
                                ? field.getField() + ": " + field.getDefaultMessage()
                                : error.getDefaultMessage())
                .sorted()
                .toList();
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", String.join("; ", errors));
        problem.setProperty("errors", errors);
        return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
    }

    /** Method-validation failures (path, parameters and bodies together): every broken rule in {@code errors}. */
    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(
            HandlerMethodValidationException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> errors = e.getParameterValidationResults().stream()
                .flatMap(result -> result.getResolvableErrors().stream().map(error -> describe(result, error)))
                .sorted()
                .toList();
        ProblemDetail problem = ProblemResponses.problem(
                HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", String.join("; ", errors));
        problem.setProperty("errors", errors);
        return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
    }

    private static String describe(ParameterValidationResult result, MessageSourceResolvable error) {
        if (error instanceof FieldError field) {
            return field.getField().endsWith("Consistent")
                    ? field.getDefaultMessage()
                    : field.getField() + ": " + field.getDefaultMessage();
        }
        if (error instanceof ObjectError) {
            return error.getDefaultMessage();
        }
        return result.getMethodParameter().getParameterName() + ": " + error.getDefaultMessage();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(reference ->
                        reference.getFieldName() != null ? reference.getFieldName() : "[" + reference.getIndex() + "]")
                .reduce((a, b) -> a + "." + b)
                .orElse("body");
    }

    private static String quote(Object value) {
        String text = String.valueOf(value);
        return "'" + (text.length() > 100 ? text.substring(0, 100) + "..." : text) + "'";
    }

    @ExceptionHandler(ConstraintViolationException.class)
    ResponseEntity<ProblemDetail> constraintViolation(ConstraintViolationException e) {
        return respond(
                ProblemResponses.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("Unexpected error in the control API", e);
        return respond(ProblemResponses.problem(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal error",
                "The request failed on the server; the service log has the details."));
    }

    /**
     * Every problem goes out as {@code application/problem+json}, whatever the request's
     * {@code Accept} says: a client that asked for HTML still learns what went wrong.
     */
    @Override
    protected ResponseEntity<Object> createResponseEntity(
            Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
        HttpHeaders problemHeaders = new HttpHeaders();
        problemHeaders.putAll(headers);
        problemHeaders.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(body, problemHeaders, statusCode);
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem) {
        return ResponseEntity.status(problem.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }
}
