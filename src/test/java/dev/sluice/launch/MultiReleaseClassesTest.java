package dev.sluice.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiReleaseClassesTest {

    @TempDir
    Path temp;

    @Test
    void listsTheVersionedClassesThisJvmVersionLoadsFromMultiReleaseJarsOnly() throws IOException {
        Path multiRelease = jar(
                "mr.jar",
                Map.of("Multi-Release", "true"),
                "a/Plain.class",
                "META-INF/versions/9/a/Cleaner.class",
                "META-INF/versions/11/a/Cleaner$Wrapper.class",
                "META-INF/versions/17/b/Swar.class",
                "META-INF/versions/21/c/Virtual.class",
                "META-INF/versions/9/module-info.class",
                "META-INF/versions/11/a/readme.txt",
                "META-INF/versions/x/a/Odd.class");
        Path plain = jar("plain.jar", Map.of(), "META-INF/versions/9/d/Ignored.class");

        assertThat(MultiReleaseClasses.of(List.of(multiRelease, plain), 17))
                .containsExactly("a.Cleaner", "a.Cleaner$Wrapper", "b.Swar");
        assertThat(MultiReleaseClasses.of(List.of(multiRelease, plain), 11))
                .containsExactly("a.Cleaner", "a.Cleaner$Wrapper");
        assertThat(MultiReleaseClasses.of(List.of(multiRelease, plain), 21))
                .containsExactly("a.Cleaner", "a.Cleaner$Wrapper", "b.Swar", "c.Virtual");
    }

    @Test
    void writesTheListBesideAnExtractedJarForItAndTheJarsItsManifestNames() throws IOException {
        Files.createDirectories(temp.resolve("lib"));
        jar("lib/mr.jar", Map.of("Multi-Release", "true"), "META-INF/versions/9/org/x/Locator.class");
        Path main =
                jar("sluice.jar", Map.of(Attributes.Name.CLASS_PATH.toString(), "lib/mr.jar"), "dev/sluice/Main.class");

        MultiReleaseClasses.write(main);

        assertThat(Files.readAllLines(temp.resolve(MultiReleaseClasses.FILE), StandardCharsets.UTF_8))
                .containsExactly("org.x.Locator");
    }

    @Test
    void preloadsNothingForClassesThatDoNotComeFromAnExtractedJar() {
        // This test's classes come from a build's directory, with no list beside them.
        assertThat(MultiReleaseClasses.preload(MultiReleaseClassesTest.class)).isZero();
    }

    private Path jar(String name, Map<String, String> attributes, String... entries) throws IOException {
        return TestJars.jar(temp.resolve(name), attributes, entries);
    }
}
