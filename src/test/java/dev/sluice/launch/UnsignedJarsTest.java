package dev.sluice.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signed jars of an extracted layout are written again unsigned, from the service's real
 * signed dependency (Janino): same classes byte for byte, no signature, and a JVM reading them
 * finds no signer; an unsigned jar is left as it was.
 */
class UnsignedJarsTest {

    @TempDir
    Path temp;

    @Test
    void rewritesTheSignedJarsOfTheClassPathWithTheSameClassesAndNoSignature() throws Exception {
        Path signed = Path.of(org.codehaus.janino.Java.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Files.createDirectories(temp.resolve("lib"));
        Path janino = Files.copy(signed, temp.resolve("lib/janino.jar"));
        Path plain = jar("lib/plain.jar", Map.of(), "a/Plain.class");
        long plainModified = Files.getLastModifiedTime(plain).toMillis();
        byte[] plainBytes = Files.readAllBytes(plain);
        Path main = jar(
                "sluice.jar",
                Map.of(Attributes.Name.CLASS_PATH.toString(), "lib/janino.jar lib/plain.jar lib/missing.jar"),
                "dev/sluice/Main.class");
        assertThat(UnsignedJars.signed(janino))
                .as("Janino's jar as published is signed")
                .isTrue();
        assertThat(signers(janino, "org/codehaus/janino/Java.class")).isTrue();

        assertThat(UnsignedJars.unsign(main)).containsExactly(janino);

        assertThat(UnsignedJars.signed(janino)).isFalse();
        assertThat(signers(janino, "org/codehaus/janino/Java.class"))
                .as("a JVM reading it finds no signer")
                .isFalse();
        Map<String, byte[]> before = contents(signed);
        Map<String, byte[]> after = contents(janino);
        before.keySet().removeIf(name -> name.matches("(?i)META-INF/[^/]+\\.(SF|RSA|DSA|EC)"));
        assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
        before.forEach((name, bytes) -> {
            if (!name.equals(JarFile.MANIFEST_NAME)) {
                assertThat(after.get(name)).as(name).isEqualTo(bytes);
            }
        });
        try (JarFile original = new JarFile(signed.toFile(), false);
                JarFile rewritten = new JarFile(janino.toFile(), false)) {
            Manifest manifest = rewritten.getManifest();
            assertThat(manifest.getMainAttributes())
                    .isEqualTo(original.getManifest().getMainAttributes());
            assertThat(original.getManifest().getEntries())
                    .as("digests per class")
                    .isNotEmpty();
            assertThat(manifest.getEntries())
                    .as("sections that held only digests")
                    .isEmpty();
        }
        assertThat(Files.readAllBytes(plain))
                .as("an unsigned jar is left as it was")
                .isEqualTo(plainBytes);
        assertThat(Files.getLastModifiedTime(plain).toMillis()).isEqualTo(plainModified);
        assertThat(UnsignedJars.unsign(main)).as("once unsigned, nothing to do").isEmpty();
        try (var files = Files.list(temp.resolve("lib"))) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .containsExactlyInAnyOrder("janino.jar", "plain.jar");
        }
    }

    /** Whether a verifying read of the entry finds signers, as a class loader's would. */
    private static boolean signers(Path path, String name) throws IOException {
        try (JarFile jar = new JarFile(path.toFile(), true)) {
            JarEntry entry = jar.getJarEntry(name);
            try (InputStream in = jar.getInputStream(entry)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return entry.getCodeSigners() != null;
        }
    }

    private static Map<String, byte[]> contents(Path path) throws IOException {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try (JarFile jar = new JarFile(path.toFile(), false)) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                try (InputStream in = jar.getInputStream(entry)) {
                    contents.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return contents;
    }

    private Path jar(String name, Map<String, String> attributes, String... entries) throws IOException {
        return TestJars.jar(temp.resolve(name), attributes, entries);
    }
}
