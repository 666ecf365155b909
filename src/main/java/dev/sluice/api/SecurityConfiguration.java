package dev.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.SluiceProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Who may call the control API, by role ({@link Role}): reads need {@code viewer}, starting,
 * stopping and resetting need {@code operator}, changing definitions and reading the audit trail
 * need {@code admin}. Callers prove a role with a bearer token from the configuration, or a JWT
 * (when Spring Security's {@code spring.security.oauth2.resourceserver.jwt.*} is set). With no
 * credential configured, only clients on this host are let in (as admin), unless
 * {@code sluice.security.without-credentials} says otherwise; the log says which at startup.
 * Actuator's health, info and prometheus endpoints and the API documentation stay open. Every
 * refusal is a problem body: 401 without a valid credential, 403 outside the caller's role, 400
 * for a request the firewall rejects.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SluiceProperties.class)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    static final String LOOPBACK_CALLER = "loopback";
    static final String ANONYMOUS_ADMIN = "anonymous";

    @Bean
    SecurityFilterChain apiSecurity(
            HttpSecurity http,
            SluiceProperties properties,
            ObjectMapper json,
            ObjectProvider<JwtDecoder> jwtDecoder,
            AuditTrail audit,
            Environment environment)
            throws Exception {
        SluiceProperties.Security security = properties.security();
        AuthenticationEntryPoint unauthorized = (request, response, e) -> unauthorized(request, response, e, json);
        AccessDeniedHandler forbidden = (request, response, e) -> {
            Role role = Role.highest(SecurityContextHolder.getContext()
                            .getAuthentication()
                            .getAuthorities())
                    .orElse(null);
            ProblemDetail problem = ProblemResponses.problem(
                    HttpStatus.FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    (role == null ? "This caller has no role" : "The " + role.label() + " role may not") + " call "
                            + request.getMethod() + " " + request.getRequestURI() + "; it needs "
                            + required(request).label());
            problem.setInstance(ProblemResponses.instance(request.getRequestURI()));
            ProblemResponses.write(response, json, problem);
        };
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .httpBasic(basic -> basic.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .requestCache(cache -> cache.disable())
                .exceptionHandling(exceptions ->
                        exceptions.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
                .addFilterAfter(audit.filter(), SecurityContextHolderFilter.class);

        JwtDecoder decoder = jwtDecoder.getIfAvailable();
        BearerTokens tokens = new BearerTokens(security, decoder == null);
        if (!tokens.isEmpty() || decoder != null) {
            List<AuthenticationProvider> providers = new ArrayList<>();
            if (!tokens.isEmpty()) {
                providers.add(tokens);
            }
            if (decoder != null) {
                JwtAuthenticationProvider jwt = new JwtAuthenticationProvider(decoder);
                jwt.setJwtAuthenticationConverter(jwtRoles(security.jwt()));
                providers.add(jwt);
            }
            ProviderManager manager = new ProviderManager(providers);
            http.oauth2ResourceServer(server ->
                    server.authenticationManagerResolver(request -> manager).authenticationEntryPoint(unauthorized));
            log.info(
                    "The control API takes {}{}{}",
                    tokens.isEmpty() ? "" : "role tokens",
                    tokens.isEmpty() || decoder == null ? "" : " and ",
                    decoder == null
                            ? ""
                            : "JWTs (roles from claim '" + security.jwt().rolesClaim() + "')");
        } else {
            switch (security.withoutCredentials()) {
                case LOOPBACK -> {
                    if (!"none".equalsIgnoreCase(environment.getProperty("server.forward-headers-strategy", ""))) {
                        // With forwarded headers applied, a caller could claim 127.0.0.1 as its address.
                        log.warn("server.forward-headers-strategy is not 'none' and no credential is configured:"
                                + " the control API refuses every call; configure tokens or a JWT issuer");
                        break;
                    }
                    http.addFilterBefore(new LoopbackAdmin(), BearerTokenAuthenticationFilter.class);
                    log.warn(
                            "No credential is configured (sluice.security.admin-tokens, operator-tokens, viewer-tokens or a JWT issuer):"
                                    + " the control API answers only clients on this host. Set tokens before exposing the port.");
                }
                case EVERYONE -> {
                    http.addFilterBefore(new EveryoneAdmin(), BearerTokenAuthenticationFilter.class);
                    log.warn("No credential is configured and sluice.security.without-credentials=everyone:"
                            + " every client that reaches the port may change pipelines");
                }
                case NOBODY ->
                    log.warn(
                            "No credential is configured and sluice.security.without-credentials=nobody: the control API refuses every call");
            }
        }

        http.authorizeHttpRequests(requests -> requests.requestMatchers(
                        "/actuator/health",
                        "/actuator/health/**",
                        "/actuator/info",
                        "/actuator/prometheus",
                        "/error",
                        "/v3/api-docs",
                        "/v3/api-docs/**",
                        "/swagger-ui/**",
                        "/swagger-ui.html")
                .permitAll()
                .requestMatchers(HttpMethod.GET, "/api/audit", "/api/audit/**")
                .hasRole(Role.ADMIN.name())
                .requestMatchers(HttpMethod.GET, "/api/**")
                .hasRole(Role.VIEWER.name())
                .requestMatchers(HttpMethod.HEAD, "/api/**")
                .hasRole(Role.VIEWER.name())
                .requestMatchers(
                        HttpMethod.POST,
                        "/api/pipelines/*/start",
                        "/api/pipelines/*/stop",
                        "/api/pipelines/*/reset",
                        "/api/queries/*/start",
                        "/api/queries/*/stop",
                        "/api/queries/*/reset",
                        "/api/dead-letters/replay")
                .hasRole(Role.OPERATOR.name())
                .requestMatchers(HttpMethod.DELETE, "/api/dead-letters")
                .hasRole(Role.OPERATOR.name())
                .requestMatchers("/api", "/api/**")
                .hasRole(Role.ADMIN.name())
                .anyRequest()
                .permitAll());
        return http.build();
    }

    /** The role a request needs, as the rules above give it (for the 403's message). */
    static Role required(HttpServletRequest request) {
        String path = request.getRequestURI();
        String method = request.getMethod();
        if (path.startsWith("/api/audit")) {
            return Role.ADMIN;
        }
        if ("GET".equals(method) || "HEAD".equals(method)) {
            return Role.VIEWER;
        }
        if ("POST".equals(method) && path.matches("/api/(queries|pipelines)/[^/]+/(start|stop|reset)")) {
            return Role.OPERATOR;
        }
        if (("POST".equals(method) && path.equals("/api/dead-letters/replay"))
                || ("DELETE".equals(method) && path.equals("/api/dead-letters"))) {
            return Role.OPERATOR;
        }
        return Role.ADMIN;
    }

    /** The firewall's refusals (encoded slashes, {@code ..}, {@code ;} and the like) as 400 problems. */
    @Bean
    RequestRejectedHandler requestRejectedHandler(ObjectMapper json) {
        return (request, response, e) -> {
            ProblemDetail problem = ProblemResponses.problem(
                    HttpStatus.BAD_REQUEST,
                    "rejected-request",
                    "Request rejected",
                    "The request's path or headers are not allowed (for example an encoded slash, '..', ';' or '//' in the path)");
            ProblemResponses.write(response, json, problem);
        };
    }

    /** No users: this keeps Spring Boot from creating a default user with a generated password. */
    @Bean
    UserDetailsService noUsers() {
        return new InMemoryUserDetailsManager();
    }

    /** The roles a JWT's claim names; unknown values give none. */
    private static JwtAuthenticationConverter jwtRoles(SluiceProperties.Jwt settings) {
        Map<String, Role> mapping = new HashMap<>();
        settings.roles()
                .forEach((value, role) -> mapping.put(
                        value,
                        Role.named(role)
                                .orElseThrow(() -> new IllegalStateException("sluice.security.jwt.roles." + value
                                        + " is '" + role + "'; a role is viewer, operator or admin"))));
        JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter((Jwt jwt) -> {
            Object claim = jwt.getClaims().get(settings.rolesClaim());
            Collection<?> values =
                    claim instanceof Collection<?> list ? list : claim == null ? List.of() : List.of(claim);
            Set<GrantedAuthority> authorities = new LinkedHashSet<>();
            for (Object value : values) {
                String text = String.valueOf(value);
                Role role = mapping.isEmpty() ? Role.named(text).orElse(null) : mapping.get(text);
                if (role != null) {
                    authorities.addAll(role.authorities());
                }
            }
            return authorities;
        });
        return converter;
    }

    private static void unauthorized(
            HttpServletRequest request, HttpServletResponse response, AuthenticationException e, ObjectMapper json)
            throws IOException {
        String detail = e instanceof InvalidBearerTokenException || e instanceof BadCredentialsException
                ? "The bearer token is not valid (unknown, expired or not signed by the configured issuer)"
                : "This call needs 'Authorization: Bearer <token>'";
        ProblemDetail problem =
                ProblemResponses.problem(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail);
        problem.setInstance(ProblemResponses.instance(request.getRequestURI()));
        response.setHeader("WWW-Authenticate", "Bearer");
        ProblemResponses.write(response, json, problem);
    }

    /**
     * Without credentials: a client on this host is admin. A request that came through a proxy
     * (forwarding headers) is not taken as local, whatever address the proxy has.
     */
    private static final class LoopbackAdmin extends OncePerRequestFilter {
        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            if (isLoopback(request.getRemoteAddr())
                    && request.getHeader("Forwarded") == null
                    && request.getHeader("X-Forwarded-For") == null
                    && request.getHeader("X-Real-IP") == null) {
                SecurityContextHolder.getContext()
                        .setAuthentication(new PreAuthenticatedAuthenticationToken(
                                LOOPBACK_CALLER, null, Role.ADMIN.authorities()));
            }
            chain.doFilter(request, response);
        }

        private static boolean isLoopback(String address) {
            try {
                return address != null && InetAddress.getByName(address).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }

    private static final class EveryoneAdmin extends OncePerRequestFilter {
        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            SecurityContextHolder.getContext()
                    .setAuthentication(
                            new PreAuthenticatedAuthenticationToken(ANONYMOUS_ADMIN, null, Role.ADMIN.authorities()));
            chain.doFilter(request, response);
        }
    }
}
