package dev.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.apache.catalina.Container;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * What the servlet container answers on its own, as problem bodies: errors forwarded to
 * {@code /error} (an unmapped path, an error raised outside Spring MVC, a direct call of
 * {@code /error} with any method) here, and Tomcat's refusals before any servlet through
 * {@link ProblemErrorReportValve}. Replaces Spring Boot's {@code BasicErrorController}.
 */
@Controller
class ProblemErrorController implements ErrorController {

    private final ObjectMapper json;

    ProblemErrorController(ObjectMapper json) {
        this.json = json;
    }

    @RequestMapping("${server.error.path:${error.path:/error}}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.valueOf(value)
                : HttpStatus.NOT_FOUND;
        ProblemDetail problem;
        if (status.is5xxServerError()) {
            problem = ProblemResponses.problem(
                    status,
                    "internal-error",
                    "Internal error",
                    "The request failed on the server; the service log has the details.");
        } else if (status == HttpStatus.NOT_FOUND) {
            problem = ProblemResponses.problem(status, "not-found", "Not Found", "No such resource");
        } else {
            problem = ProblemResponses.problem(
                    status, "invalid-request", status.getReasonPhrase(), "The request cannot be taken as sent");
        }
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        problem.setInstance(ProblemResponses.instance(uri instanceof String path ? path : request.getRequestURI()));
        ProblemResponses.write(response, json, problem);
    }

    /** Puts {@link ProblemErrorReportValve} in place of every error report valve of the host (Spring Boot adds one). */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    static WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return factory -> factory.addContextCustomizers(context -> {
            Container host = context.getParent();
            for (Valve valve : host.getPipeline().getValves()) {
                if (valve instanceof ErrorReportValve) {
                    host.getPipeline().removeValve(valve);
                }
            }
            host.getPipeline().addValve(new ProblemErrorReportValve());
            if (host instanceof StandardHost standard) {
                // Else the host adds Tomcat's own valve when it starts, not finding one of its class.
                standard.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            }
        });
    }
}
