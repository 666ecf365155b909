package dev.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.SluiceProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;

/**
 * Who may call the control API. With {@code sluice.security.api-token} set, every
 * {@code /api/**} call needs {@code Authorization: Bearer <token>} (401 problem otherwise);
 * without it the API is open, which the log says at startup. Actuator's health, info and
 * prometheus endpoints stay open for probes and scrapers.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SluiceProperties.class)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    private static final String BEARER = "Bearer ";

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, SluiceProperties properties, ObjectMapper objectMapper) throws Exception {
        String token = properties.security().apiToken();
        AuthenticationEntryPoint unauthorized = (request, response, e) -> writeUnauthorized(request, response, e, objectMapper);
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .httpBasic(basic -> basic.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .exceptionHandling(exceptions -> exceptions.authenticationEntryPoint(unauthorized));
        if (token == null || token.isBlank()) {
            log.warn("sluice.security.api-token is not set: the control API accepts every caller");
            http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll());
            return http.build();
        }
        AuthenticationFilter bearer = new AuthenticationFilter(tokenAuthentication(token), SecurityConfiguration::bearerToken);
        bearer.setSuccessHandler((request, response, authentication) -> {});
        bearer.setFailureHandler((request, response, e) -> writeUnauthorized(request, response, e, objectMapper));
        http.addFilterBefore(bearer, BasicAuthenticationFilter.class)
                .authorizeHttpRequests(requests -> requests
                        .requestMatchers("/actuator/health/**", "/actuator/info", "/actuator/prometheus", "/error",
                                "/v3/api-docs/**", "/swagger-ui/**", "/swagger-ui.html").permitAll()
                        .anyRequest().authenticated());
        return http.build();
    }

    /** No users: this keeps Spring Boot from creating a default user with a generated password. */
    @Bean
    UserDetailsService noUsers() {
        return new InMemoryUserDetailsManager();
    }

    private static PreAuthenticatedAuthenticationToken bearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return new PreAuthenticatedAuthenticationToken("api-client", header.substring(BEARER.length()).trim());
    }

    private static AuthenticationManager tokenAuthentication(String expected) {
        byte[] expectedBytes = expected.getBytes(StandardCharsets.UTF_8);
        return authentication -> {
            byte[] given = String.valueOf(authentication.getCredentials()).getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(expectedBytes, given)) {
                throw new BadCredentialsException("The bearer token is not valid");
            }
            return new PreAuthenticatedAuthenticationToken("api-client", null, AuthorityUtils.createAuthorityList("ROLE_API"));
        };
    }

    private static void writeUnauthorized(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException e, ObjectMapper objectMapper) throws IOException {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED,
                e instanceof BadCredentialsException ? e.getMessage() : "This call needs 'Authorization: Bearer <token>'");
        problem.setType(URI.create("urn:sluice:problem:unauthorized"));
        problem.setTitle("Unauthorized");
        problem.setInstance(URI.create(request.getRequestURI()));
        response.setStatus(HttpStatus.UNAUTHORIZED.value());
        response.setHeader("WWW-Authenticate", "Bearer");
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        objectMapper.writeValue(response.getOutputStream(), problem);
    }

}
