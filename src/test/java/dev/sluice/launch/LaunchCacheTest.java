package dev.sluice.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchCacheTest {

    @TempDir
    Path temp;

    private Path jar(String name, String content) throws IOException {
        return Files.writeString(temp.resolve(name), content);
    }

    @Test
    void anEntryIsNamedAfterTheJarAndChangesWhenTheJarDoes() throws IOException {
        Path root = temp.resolve("cache");
        Path jar = jar("sluice-1.0.jar", "one");
        LaunchCache first = LaunchCache.of(root, jar);

        assertThat(first.directory().getParent()).isEqualTo(root);
        assertThat(first.directory().getFileName().toString()).matches("sluice-1\\.0-[0-9a-f]{16}");
        assertThat(LaunchCache.of(root, jar).directory()).isEqualTo(first.directory());

        Files.writeString(jar, "rebuilt");
        assertThat(LaunchCache.of(root, jar).directory()).isNotEqualTo(first.directory());
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
        Files.writeString(jar, "one"); // same size as the first, later
        assertThat(LaunchCache.of(root, jar).directory()).isNotEqualTo(first.directory());
    }

    @Test
    void anArchiveIsPerJvmBuild() throws IOException {
        LaunchCache cache = LaunchCache.of(temp, jar("s.jar", "x"));

        assertThat(cache.archive("OpenJDK 17.0.15")).isEqualTo(cache.archive("OpenJDK 17.0.15"));
        assertThat(cache.archive("OpenJDK 17.0.15")).isNotEqualTo(cache.archive("OpenJDK 17.0.16"));
        assertThat(cache.recording(cache.archive("j")).getFileName().toString())
                .isEqualTo(cache.archive("j").getFileName() + ".recording-"
                        + ProcessHandle.current().pid());
    }

    @Test
    void keepsAWrittenRecordingAndDropsAnEmptyOne() throws IOException {
        Path archive = temp.resolve("a.jsa");
        Path recording = temp.resolve("a.jsa.recording-1");

        Files.createFile(recording);
        assertThat(LaunchCache.keep(recording, archive)).isFalse();
        assertThat(recording).doesNotExist();
        assertThat(archive).doesNotExist();

        assertThat(LaunchCache.keep(recording, archive)).isFalse(); // the JVM wrote none

        Files.writeString(recording, "classes");
        assertThat(LaunchCache.keep(recording, archive)).isTrue();
        assertThat(archive).hasContent("classes");
        assertThat(recording).doesNotExist();
    }

    @Test
    void keepsTheMostRecentlyLaunchedEntriesAndLeavesOtherDirectoriesAlone() throws IOException {
        Path root = temp.resolve("cache");
        Path unrelated = Files.createDirectories(root.resolve("someone-elses"));
        Instant now = Instant.now();
        Path[] old = new Path[4];
        for (int i = 0; i < old.length; i++) {
            LaunchCache entry = LaunchCache.of(root, jar("v" + i + ".jar", "v" + i));
            entry.claim().release();
            Files.setLastModifiedTime(
                    entry.directory().resolve("last-launch"), FileTime.from(now.minus(Duration.ofDays(10 - i))));
            old[i] = entry.directory();
        }

        LaunchCache current = LaunchCache.of(root, jar("v9.jar", "v9"));
        current.claim().release();

        assertThat(current.directory().resolve("last-launch")).exists();
        assertThat(old[0]).doesNotExist();
        assertThat(old[1]).doesNotExist();
        assertThat(old[2]).exists();
        assertThat(old[3]).exists();
        assertThat(unrelated).exists();
    }

    @Test
    void removesAbandonedExtractionsAndRecordingsOnly() throws IOException {
        LaunchCache cache = LaunchCache.of(temp.resolve("cache"), jar("s.jar", "x"));
        Files.createDirectories(cache.directory());
        Path abandoned = Files.createDirectories(cache.directory().resolve("app.extracting-12/lib"));
        Files.setLastModifiedTime(
                abandoned.getParent(), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path running = Files.createFile(cache.directory().resolve("class-data-x.jsa.recording-13"));
        Path archive = Files.createFile(cache.directory().resolve("class-data-x.jsa"));
        Files.setLastModifiedTime(archive, FileTime.from(Instant.now().minus(Duration.ofDays(2))));

        cache.claim().release();

        assertThat(abandoned.getParent()).doesNotExist();
        assertThat(running).exists();
        assertThat(archive).exists();
    }

    @Test
    void anExtractionIsCompleteWhenEveryJarItsManifestNamesAndItsMultiReleaseListAreThere() throws IOException {
        Path app = temp.resolve("app");
        Path lib = Files.createDirectories(app.resolve("lib"));
        Path main = app.resolve("sluice.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/a.jar lib/b%20c.jar");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(main), manifest)) {
            jar.putNextEntry(new JarEntry("x.txt"));
        }
        Files.createFile(lib.resolve("a.jar"));

        assertThat(LaunchCache.complete(app)).isEmpty();

        Files.createFile(lib.resolve("b c.jar"));
        assertThat(LaunchCache.complete(app))
                .as("no list of multi-release classes")
                .isEmpty();

        Files.createFile(app.resolve(MultiReleaseClasses.FILE));
        assertThat(LaunchCache.complete(app)).contains(main);

        Files.delete(lib.resolve("a.jar"));
        assertThat(LaunchCache.complete(app)).isEmpty();
    }

    @Test
    void anEntryClaimedByARunningLauncherIsNotRemoved() throws Exception {
        Path root = temp.resolve("cache");
        Path runningJar = jar("running.jar", "r");
        Process launcher = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Path.of("src", "test", "resources", "launch-probe", "ClaimProbe.java")
                                .toString(),
                        root.toString(),
                        runningJar.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader output =
                    new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8));
            assertThat(output.readLine()).isEqualTo("held");
            LaunchCache running = LaunchCache.of(root, runningJar);
            Files.setLastModifiedTime(
                    running.directory().resolve("last-launch"),
                    FileTime.from(Instant.now().minus(Duration.ofDays(30))));

            for (int i = 0; i < LaunchCache.KEEP_OTHERS + 1; i++) {
                LaunchCache.of(root, jar("newer" + i + ".jar", "n" + i)).claim().release();
            }
            assertThat(running.directory()).as("the running launcher's entry").exists();

            launcher.getOutputStream().close();
            assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
            LaunchCache.of(root, jar("newest.jar", "n")).claim().release();
            assertThat(running.directory())
                    .as("the entry once its launcher is gone")
                    .doesNotExist();
        } finally {
            launcher.destroyForcibly();
        }
    }
}
