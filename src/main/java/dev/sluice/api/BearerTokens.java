package dev.sluice.api;

import dev.sluice.config.SluiceProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedAuthenticationToken;

/**
 * The role tokens from the configuration (a Secret in production). Every configured token is
 * compared in constant time on every call, so the answer's timing tells nothing of which came
 * close. A caller is named after its role and the token's place in the list ({@code operator-2}),
 * never after the token. An unknown token is left to the next provider (JWTs) when there is one.
 */
final class BearerTokens implements AuthenticationProvider {

    private record Token(byte[] value, Role role, String name) {}

    private final List<Token> tokens = new ArrayList<>();
    private final boolean last;

    /** @param last whether no other provider follows: then an unknown token is refused here */
    BearerTokens(SluiceProperties.Security security, boolean last) {
        this.last = last;
        if (security.apiToken() != null && !security.apiToken().isBlank()) {
            add(security.apiToken(), Role.ADMIN, "admin-api-token");
        }
        add(security.viewerTokens(), Role.VIEWER);
        add(security.operatorTokens(), Role.OPERATOR);
        add(security.adminTokens(), Role.ADMIN);
    }

    private void add(List<String> values, Role role) {
        for (int i = 0; i < values.size(); i++) {
            add(values.get(i), role, role.label() + "-" + (i + 1));
        }
    }

    private void add(String value, Role role, String name) {
        tokens.add(new Token(value.strip().getBytes(StandardCharsets.UTF_8), role, name));
    }

    boolean isEmpty() {
        return tokens.isEmpty();
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        byte[] given =
                ((BearerTokenAuthenticationToken) authentication).getToken().getBytes(StandardCharsets.UTF_8);
        Token match = null;
        for (Token token : tokens) {
            if (MessageDigest.isEqual(token.value(), given)
                    && (match == null || token.role().ordinal() > match.role().ordinal())) {
                match = token;
            }
        }
        if (match == null) {
            if (last) {
                throw new BadCredentialsException("The bearer token is not valid");
            }
            return null;
        }
        return new PreAuthenticatedAuthenticationToken(
                match.name(), null, match.role().authorities());
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
