package dev.sluice.run;

import dev.sluice.pipeline.PipelineRefusal;
import dev.sluice.pipeline.Redaction;
import java.util.Optional;
import org.apache.spark.sql.streaming.StreamingQueryException;

/** How a run's failure and lag are told in logs and the API. */
final class RunFailure {

    private static final int MAX_MESSAGE_LENGTH = 2000;

    private RunFailure() {}

    /** A short, credential-free account of an error, for logs and the API. */
    static String describe(Throwable error) {
        Optional<PipelineRefusal> refusal = PipelineRefusal.in(error);
        if (refusal.isPresent()) {
            // What the operator must do, without the Spark job around it.
            return clip(Redaction.redact(refusal.get().getMessage().strip()));
        }
        Throwable cause = error;
        // Spark wraps the real cause; its own message repeats the whole query plan.
        while (cause.getCause() != null && (cause instanceof StreamingQueryException || cause.getMessage() == null)) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return clip(Redaction.redact(message.strip()));
    }

    private static String clip(String message) {
        return message.length() > MAX_MESSAGE_LENGTH ? message.substring(0, MAX_MESSAGE_LENGTH) + "..." : message;
    }

    /** The lag in a few words, for the startup line. */
    static String describeLag(PipelineStatus.Lag lag) {
        StringBuilder text = new StringBuilder(", ").append(lag.records()).append(" records behind");
        if (lag.records() > 0 && lag.caughtUpAt() != null) {
            text.append(", caught up in about ")
                    .append(Math.round(lag.catchUpSeconds()))
                    .append(" s");
        }
        return text.toString();
    }
}
