package dev.sluice.api;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** What a caller of the control API may do; each role may do everything the ones before it may. */
public enum Role {
    /** Reads pipelines, their status, progress, offsets and rows. */
    VIEWER,
    /** Also starts, stops and resets pipelines. */
    OPERATOR,
    /** Also creates, changes and deletes definitions, and reads the audit trail. */
    ADMIN;

    /** The Spring Security authority of exactly this role. */
    public String authority() {
        return "ROLE_" + name();
    }

    /** This role's authority and those of every role below it. */
    public List<GrantedAuthority> authorities() {
        return Arrays.stream(values())
                .filter(role -> role.ordinal() <= ordinal())
                .map(role -> (GrantedAuthority) new SimpleGrantedAuthority(role.authority()))
                .toList();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> named(String name) {
        return Arrays.stream(values())
                .filter(role -> role.label().equalsIgnoreCase(name.strip()))
                .findFirst();
    }

    /** The highest role among the authorities, if any. */
    public static Optional<Role> highest(java.util.Collection<? extends GrantedAuthority> authorities) {
        Role highest = null;
        for (GrantedAuthority authority : authorities) {
            for (Role role : values()) {
                if (role.authority().equals(authority.getAuthority())
                        && (highest == null || role.ordinal() > highest.ordinal())) {
                    highest = role;
                }
            }
        }
        return Optional.ofNullable(highest);
    }
}
