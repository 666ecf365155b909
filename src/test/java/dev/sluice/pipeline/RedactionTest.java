package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void removesPasswordsFromJdbcUrls() {
        assertThat(Redaction.redact("jdbc:postgresql://db:5432/sluice?user=sluice&password=s3cr3t&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/sluice?user=sluice&password=****&ssl=true");
    }

    @Test
    void removesUserInfoPasswords() {
        assertThat(Redaction.redact("connect to postgresql://sluice:s3cr3t@db:5432/sluice failed"))
                .isEqualTo("connect to postgresql://sluice:****@db:5432/sluice failed");
    }

    @Test
    void leavesOtherTextAlone() {
        assertThat(Redaction.redact("Connection refused: 127.0.0.1:5432"))
                .isEqualTo("Connection refused: 127.0.0.1:5432");
        assertThat(Redaction.redact(null)).isNull();
    }
}
