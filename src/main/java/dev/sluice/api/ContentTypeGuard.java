package dev.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A request whose {@code Content-Type} is not one media type (a wildcard such as {@code *}{@code /*},
 * or text that does not parse) is a 415 problem before any handler reads it: Spring MVC would
 * otherwise fail on the header deep inside argument resolution.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class ContentTypeGuard extends OncePerRequestFilter {

    private final ObjectMapper json;

    ContentTypeGuard(ObjectMapper json) {
        this.json = json;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getContentType();
        if (header != null && !header.isBlank()) {
            String problem = null;
            try {
                MediaType type = MediaType.parseMediaType(header);
                if (type.isWildcardType() || type.isWildcardSubtype()) {
                    problem = "Content-Type cannot be a wildcard; send application/json";
                }
            } catch (InvalidMediaTypeException e) {
                problem = "Content-Type is not a media type; send application/json";
            }
            if (problem != null) {
                ProblemResponses.write(
                        response,
                        json,
                        ProblemResponses.problem(
                                HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                                "invalid-request",
                                "Unsupported Media Type",
                                problem));
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
