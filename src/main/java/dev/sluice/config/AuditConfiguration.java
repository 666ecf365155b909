package dev.sluice.config;

import dev.sluice.audit.AuditStore;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** The audit trail of control actions. */
@Configuration(proxyBeanMethods = false)
class AuditConfiguration {

    @Bean
    AuditStore auditStore(JdbcTemplate jdbc) {
        return new AuditStore(jdbc);
    }
}
