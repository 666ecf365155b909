package dev.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/** RFC 7807 problems written straight to a response, for the answers given before any controller runs. */
final class ProblemResponses {

    private ProblemResponses() {}

    static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create("urn:sluice:problem:" + type));
        problem.setTitle(title);
        return problem;
    }

    static void write(HttpServletResponse response, ObjectMapper json, ProblemDetail problem) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(problem.getStatus());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        json.writeValue(response.getOutputStream(), problem);
    }

    /** A path as it may appear in a problem: printable ASCII, at most 200 characters. */
    static URI instance(String path) {
        if (path == null) {
            return null;
        }
        String safe = path.length() > 200 ? path.substring(0, 200) : path;
        try {
            return URI.create(safe);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
