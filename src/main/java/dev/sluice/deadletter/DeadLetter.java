package dev.sluice.deadletter;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A record a pipeline could not accept, as the API shows it.
 *
 * @param key the Kafka record's key as text when it is UTF-8; absent otherwise
 * @param keyBase64 the key's bytes, in Base64; absent when the record had no key (a line of a
 *     file, a result row, or a record kept before dead letters kept keys)
 * @param value the raw value as text when it is UTF-8; absent otherwise
 * @param valueBase64 the raw value's bytes, in Base64; absent when the record had no value
 * @param replayedAt when an operator replayed it into Kafka; absent until then
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(
        long id,
        String pipeline,
        String reason,
        String detail,
        String topic,
        int partition,
        long offset,
        Instant timestamp,
        String key,
        String keyBase64,
        String value,
        String valueBase64,
        Instant recordedAt,
        Instant replayedAt) {

    /** Raw bytes' fields (a key's or a value's): their text when it is UTF-8, and the bytes in Base64. */
    static String[] text(byte[] raw) {
        return raw == null
                ? new String[2]
                : new String[] {utf8(raw), Base64.getEncoder().encodeToString(raw)};
    }

    /** The bytes as text when they are valid UTF-8, else null. */
    static String utf8(byte[] raw) {
        if (raw == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
