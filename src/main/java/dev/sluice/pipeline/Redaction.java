package dev.sluice.pipeline;

import java.util.regex.Pattern;

/** Removes credentials from text that may reach a log line or an API response. */
public final class Redaction {

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password|passwd|pwd|secret|token)=([^&;\\s,]*)");
    private static final Pattern USER_INFO = Pattern.compile("(?i)(://[^/:@\\s]+):([^@/\\s]+)@");

    private Redaction() {}

    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String redacted = URL_PASSWORD.matcher(text).replaceAll("$1=****");
        return USER_INFO.matcher(redacted).replaceAll("$1:****@");
    }
}
