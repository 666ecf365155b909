package dev.sluice.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LaunchSettingsTest {

    private static Properties system(String... pairs) {
        Properties properties = new Properties();
        properties.setProperty("user.home", "/home/someone");
        for (int i = 0; i < pairs.length; i += 2) {
            properties.setProperty(pairs[i], pairs[i + 1]);
        }
        return properties;
    }

    @Test
    void defaultsToTheExtractedLayoutCachedUnderTheHomeDirectory() {
        LaunchSettings settings = LaunchSettings.from(system(), Map.of());

        assertThat(settings.extracted()).isTrue();
        assertThat(settings.cacheRoot()).isEqualTo(Path.of("/home/someone/.cache/sluice"));
    }

    @Test
    void followsXdgCacheHome() {
        LaunchSettings settings = LaunchSettings.from(system(), Map.of("XDG_CACHE_HOME", "/var/cache/me"));

        assertThat(settings.cacheRoot()).isEqualTo(Path.of("/var/cache/me/sluice"));
    }

    @Test
    void readsTheEnvironmentAndLetsSystemPropertiesWin() {
        Map<String, String> env = Map.of("SLUICE_LAUNCHER_MODE", "in-place", "SLUICE_LAUNCHER_CACHE_DIR", "/srv/a");

        assertThat(LaunchSettings.from(system(), env))
                .isEqualTo(new LaunchSettings(LaunchSettings.Mode.IN_PLACE, Path.of("/srv/a")));
        assertThat(LaunchSettings.from(
                        system("sluice.launcher.mode", " Extracted ", "sluice.launcher.cache-dir", "/srv/b"), env))
                .isEqualTo(new LaunchSettings(LaunchSettings.Mode.EXTRACTED, Path.of("/srv/b")));
    }

    @Test
    void refusesAnUnknownModeNamingTheSetting() {
        assertThatThrownBy(() -> LaunchSettings.from(system("sluice.launcher.mode", "fast"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sluice.launcher.mode must be 'extracted', 'in-place' or 'prepare', not 'fast'");
    }

    @Test
    void preparesTheCacheOnAsking() {
        LaunchSettings settings = LaunchSettings.from(system(), Map.of("SLUICE_LAUNCHER_MODE", "prepare"));

        assertThat(settings.mode()).isEqualTo(LaunchSettings.Mode.PREPARE);
        assertThat(settings.extracted()).isTrue();
    }
}
