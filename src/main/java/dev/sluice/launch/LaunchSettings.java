package dev.sluice.launch;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * How {@code java -jar sluice.jar} starts the service, read before Spring starts: from system
 * properties, else the environment.
 *
 * <ul>
 *   <li>{@code sluice.launcher.mode} ({@code SLUICE_LAUNCHER_MODE}): {@code extracted} (the default)
 *       starts the service from the jar's extracted layout with a class-data archive, as the image
 *       does; {@code in-place} runs it inside the jar, in the JVM {@code java -jar} started; {@code
 *       prepare} starts no service: it readies the cache for the next start (the extracted layout,
 *       and the archive written by a training run) and exits.
 *   <li>{@code sluice.launcher.cache-dir} ({@code SLUICE_LAUNCHER_CACHE_DIR}): where the extracted
 *       layout and archive are kept; default {@code $XDG_CACHE_HOME/sluice}, else {@code
 *       ~/.cache/sluice}.
 * </ul>
 *
 * @param mode how to start
 * @param cacheRoot where the extracted layouts and archives live, one directory per jar
 */
public record LaunchSettings(Mode mode, Path cacheRoot) {

    static final String MODE = "sluice.launcher.mode";
    static final String CACHE_DIR = "sluice.launcher.cache-dir";

    /** How {@code java -jar} starts the service, or readies its start. */
    public enum Mode {
        /** From the extracted layout, with the class-data archive. */
        EXTRACTED("extracted"),
        /** Inside the jar, in the JVM {@code java -jar} started. */
        IN_PLACE("in-place"),
        /** No service: the extracted layout and the archive made ready for the next start. */
        PREPARE("prepare");

        private final String setting;

        Mode(String setting) {
            this.setting = setting;
        }

        static Mode of(String setting) {
            for (Mode mode : values()) {
                if (mode.setting.equals(setting)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException(
                    MODE + " must be 'extracted', 'in-place' or 'prepare', not '" + setting + "'");
        }
    }

    /** The settings from these system properties and environment. */
    public static LaunchSettings from(Properties system, Map<String, String> env) {
        Mode mode = Mode.of(setting(system, env, MODE, "extracted").trim().toLowerCase(Locale.ROOT));
        String cacheDir = setting(system, env, CACHE_DIR, "");
        Path cacheRoot;
        if (!cacheDir.isBlank()) {
            cacheRoot = Path.of(cacheDir);
        } else if (!env.getOrDefault("XDG_CACHE_HOME", "").isBlank()) {
            cacheRoot = Path.of(env.get("XDG_CACHE_HOME"), "sluice");
        } else {
            cacheRoot = Path.of(system.getProperty("user.home"), ".cache", "sluice");
        }
        return new LaunchSettings(mode, cacheRoot.toAbsolutePath());
    }

    /** Whether the service starts from the extracted layout (or that layout is prepared). */
    public boolean extracted() {
        return mode != Mode.IN_PLACE;
    }

    private static String setting(Properties system, Map<String, String> env, String name, String fallback) {
        String value = system.getProperty(name);
        if (value == null) {
            value = env.get(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return value == null ? fallback : value;
    }
}
