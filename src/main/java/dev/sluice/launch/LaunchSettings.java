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
 *       does; {@code in-place} runs it inside the jar, in the JVM {@code java -jar} started.
 *   <li>{@code sluice.launcher.cache-dir} ({@code SLUICE_LAUNCHER_CACHE_DIR}): where the extracted
 *       layout and archive are kept; default {@code $XDG_CACHE_HOME/sluice}, else {@code
 *       ~/.cache/sluice}.
 * </ul>
 *
 * @param extracted whether to start from the extracted layout
 * @param cacheRoot where the extracted layouts and archives live, one directory per jar
 */
public record LaunchSettings(boolean extracted, Path cacheRoot) {

    static final String MODE = "sluice.launcher.mode";
    static final String CACHE_DIR = "sluice.launcher.cache-dir";

    /** The settings from these system properties and environment. */
    public static LaunchSettings from(Properties system, Map<String, String> env) {
        String mode = setting(system, env, MODE, "extracted").trim().toLowerCase(Locale.ROOT);
        boolean extracted = switch (mode) {
            case "extracted" -> true;
            case "in-place" -> false;
            default ->
                throw new IllegalArgumentException(MODE + " must be 'extracted' or 'in-place', not '" + mode + "'");
        };
        String cacheDir = setting(system, env, CACHE_DIR, "");
        Path cacheRoot;
        if (!cacheDir.isBlank()) {
            cacheRoot = Path.of(cacheDir);
        } else if (!env.getOrDefault("XDG_CACHE_HOME", "").isBlank()) {
            cacheRoot = Path.of(env.get("XDG_CACHE_HOME"), "sluice");
        } else {
            cacheRoot = Path.of(system.getProperty("user.home"), ".cache", "sluice");
        }
        return new LaunchSettings(extracted, cacheRoot.toAbsolutePath());
    }

    private static String setting(Properties system, Map<String, String> env, String name, String fallback) {
        String value = system.getProperty(name);
        if (value == null) {
            value = env.get(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return value == null ? fallback : value;
    }
}
