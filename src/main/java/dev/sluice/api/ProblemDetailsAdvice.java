package dev.sluice.api;

import dev.sluice.query.QueryStartException;
import dev.sluice.query.QueryStateConflictException;
import dev.sluice.query.UnknownQueryException;
import jakarta.validation.ConstraintViolationException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error of the API as an RFC 7807 problem: domain errors here, Spring MVC's own (bad
 * parameters, unknown paths, wrong methods) through {@link ResponseEntityExceptionHandler}.
 * Bodies never carry stack traces.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    @ExceptionHandler(UnknownQueryException.class)
    ProblemDetail unknownQuery(UnknownQueryException e) {
        ProblemDetail problem = problem(HttpStatus.NOT_FOUND, "unknown-query", "Unknown pipeline", e.getMessage());
        problem.setProperty("name", e.name());
        return problem;
    }

    @ExceptionHandler(QueryStateConflictException.class)
    ProblemDetail stateConflict(QueryStateConflictException e) {
        ProblemDetail problem = problem(HttpStatus.CONFLICT, "query-state-conflict", "Pipeline state conflict", e.getMessage());
        problem.setProperty("name", e.name());
        problem.setProperty("state", e.state());
        return problem;
    }

    @ExceptionHandler(QueryStartException.class)
    ProblemDetail startFailed(QueryStartException e) {
        ProblemDetail problem = problem(HttpStatus.INTERNAL_SERVER_ERROR, "query-start-failed", "Pipeline could not start", e.getMessage());
        problem.setProperty("name", e.name());
        return problem;
    }

    @ExceptionHandler(ConstraintViolationException.class)
    ProblemDetail constraintViolation(ConstraintViolationException e) {
        return problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage());
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        log.error("Unexpected error in the control API", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "The request failed on the server; the service log has the details.");
    }

    private static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("urn:sluice:problem:" + type));
        problem.setTitle(title);
        return problem;
    }
}
