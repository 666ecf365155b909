package dev.sluice.pipeline;

import java.util.Optional;

/**
 * Why a pipeline cannot run that no restart can mend: the operator must act (fix the data or the
 * definition) and start it again. A run that fails or cannot start with one is not restarted.
 */
public class PipelineRefusal extends RuntimeException {

    private static final String MARK = PipelineRefusal.class.getName() + ":";

    public PipelineRefusal(String message) {
        super(message);
    }

    /** The refusal among a failure's causes, if one is. */
    public static Optional<PipelineRefusal> in(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof PipelineRefusal refusal) {
                return Optional.of(refusal);
            }
            // A task's refusal may reach the driver as the text of Spark's job failure only.
            String message = cause.getMessage();
            int at = message == null ? -1 : message.indexOf(MARK);
            if (at >= 0) {
                String text = message.substring(at + MARK.length()).strip();
                return Optional.of(new PipelineRefusal(text.lines().findFirst().orElse(text)));
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return Optional.empty();
    }
}
