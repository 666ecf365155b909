package dev.sluice.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * One jar's entry in the launcher's cache: the jar extracted as the image lays it out ({@code java
 * -Djarmode=tools -jar sluice.jar extract}), and the class-data archives recorded from it, one per
 * JVM build. The entry is named after the jar's file name, path, size and modification time, so a
 * rebuilt or replaced jar gets a new one; entries of other jars not launched lately are removed.
 */
final class LaunchCache {

    /** Entries kept besides the one being launched, the most recently launched first. */
    static final int KEEP_OTHERS = 2;

    /** How long an unfinished extraction or recording may stay before it counts as abandoned. */
    private static final Duration ABANDONED = Duration.ofHours(1);

    private static final String APP = "app";
    private static final String LAST_LAUNCH = "last-launch";

    private final Path directory;

    private LaunchCache(Path directory) {
        this.directory = directory;
    }

    /** The entry of this jar under this root (nothing is created yet). */
    static LaunchCache of(Path root, Path jar) throws IOException {
        Path absolute = jar.toAbsolutePath().normalize();
        String name = absolute.getFileName().toString().replaceFirst("\\.jar$", "");
        String identity = absolute + "\n" + Files.size(absolute) + "\n"
                + Files.getLastModifiedTime(absolute).toMillis();
        return new LaunchCache(root.resolve(name + "-" + hash(identity)));
    }

    Path directory() {
        return directory;
    }

    /**
     * The extracted jar (its manifest names {@code lib/*.jar} beside it), extracted now by this
     * {@code java} if the entry has none yet. Extraction goes to a directory of its own, moved into
     * place when complete, so a launch never sees half an extraction, and two at once both succeed.
     */
    Path extractedJar(Path java, Path jar) throws IOException, InterruptedException {
        Path app = directory.resolve(APP);
        if (Files.isDirectory(app)) {
            Optional<Path> extracted = complete(app);
            if (extracted.isPresent()) {
                return extracted.get();
            }
            delete(app); // files went missing (a cleaner, say): extract again
        }
        extract(java, jar, app);
        return complete(app).orElseThrow(() -> new IOException("The extraction in " + app + " is incomplete"));
    }

    /**
     * Extracts the jar into {@code app} through a directory of its own, moved into place when
     * complete.
     */
    private void extract(Path java, Path jar, Path app) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path partial =
                directory.resolve(APP + ".extracting-" + ProcessHandle.current().pid());
        Path log =
                directory.resolve(APP + ".extracting-" + ProcessHandle.current().pid() + ".log");
        // Spring Boot's own extraction, in a JVM of its short-lived kind: the quick compiler only,
        // on one thread (1.19 to 1.23 s instead of 1.37 to 1.43 s here, 4 runs each).
        Process extraction = new ProcessBuilder(
                        java.toString(),
                        "-XX:TieredStopAtLevel=1",
                        "-XX:CICompilerCount=1",
                        "-Djarmode=tools",
                        "-jar",
                        jar.toAbsolutePath().toString(),
                        "extract",
                        "--destination",
                        partial.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!extraction.waitFor(10, TimeUnit.MINUTES)) {
            extraction.destroyForcibly();
            throw new IOException("Extracting " + jar + " took over 10 minutes");
        }
        if (extraction.exitValue() != 0) {
            String output = Files.readString(log, StandardCharsets.UTF_8);
            delete(partial);
            throw new IOException(
                    "Extracting " + jar + " failed (exit " + extraction.exitValue() + "): " + output.strip());
        }
        Files.deleteIfExists(log);
        Path extracted = mainJar(partial).orElseThrow(() -> new IOException("Extracting " + jar + " wrote no jar"));
        UnsignedJars.unsign(extracted);
        MultiReleaseClasses.write(extracted);
        try {
            Files.move(partial, app, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException concurrent) {
            delete(partial); // another launch extracted it first
        }
    }

    /**
     * The extracted jar, if it, every jar its manifest names and the list of its multi-release
     * classes ({@link MultiReleaseClasses}) are there.
     */
    static Optional<Path> complete(Path app) throws IOException {
        Optional<Path> main = mainJar(app);
        if (main.isEmpty() || !Files.isRegularFile(app.resolve(MultiReleaseClasses.FILE))) {
            return Optional.empty();
        }
        try {
            List<Path> classPath = classPath(main.get());
            if (classPath.isEmpty() || !classPath.stream().allMatch(Files::isRegularFile)) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty(); // not a readable jar
        }
        return main;
    }

    private static Optional<Path> mainJar(Path app) throws IOException {
        try (Stream<Path> files = Files.list(app)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".jar"))
                    .findFirst();
        }
    }

    /** The jars an extracted jar's manifest names ({@code Class-Path}), resolved as the JVM does. */
    static List<Path> classPath(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String classPath =
                    manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (classPath == null || classPath.isBlank()) {
                return List.of();
            }
            URI base = jar.toAbsolutePath().getParent().toUri();
            // relative URLs, resolved against the jar's directory
            return Arrays.stream(classPath.trim().split("\\s+"))
                    .map(entry -> Path.of(base.resolve(entry)))
                    .toList();
        }
    }

    /** The class-data archive for this JVM build (it may not exist yet). */
    Path archive(String jvm) {
        return directory.resolve("class-data-" + hash(jvm) + ".jsa");
    }

    /** Where this process's run records a new archive, until {@link #keep} moves it into place. */
    Path recording(Path archive) {
        return archive.resolveSibling(
                archive.getFileName() + ".recording-" + ProcessHandle.current().pid());
    }

    /**
     * Moves a finished recording into place; drops one the JVM did not write (it was killed, say),
     * so the next launch records again. Returns whether the archive is now in place.
     */
    static boolean keep(Path recording, Path archive) throws IOException {
        if (Files.isRegularFile(recording) && Files.size(recording) > 0) {
            Files.move(recording, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        }
        Files.deleteIfExists(recording);
        return false;
    }

    /**
     * Marks this entry launched now and in use for as long as this process holds the returned lock
     * (a shared lock on its marker file; the launcher holds it until it exits). Removes other
     * entries but the {@link #KEEP_OTHERS} most recently launched, skipping any a running launcher
     * holds, and leftovers of extractions and recordings abandoned over an hour ago. Removing is
     * best effort: what cannot be removed now is tried again at a later launch.
     */
    FileLock claim() throws IOException {
        Files.createDirectories(directory);
        Path marker = directory.resolve(LAST_LAUNCH);
        FileChannel channel =
                FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock inUse;
        Instant now = Instant.now();
        try {
            inUse = channel.lock(0, Long.MAX_VALUE, true);
            // The launch time goes through this channel: closing any other descriptor of the file
            // (setting its time with Files, say) would drop this process's lock (POSIX locks).
            byte[] launched = (now + "\n").getBytes(StandardCharsets.UTF_8);
            channel.truncate(0).write(ByteBuffer.wrap(launched), 0);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        List<Path> others = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory.getParent())) {
            // Only the launcher's own entries: the root may be a directory shared with others.
            entries.filter(entry -> Files.isRegularFile(entry.resolve(LAST_LAUNCH)))
                    .filter(entry -> !entry.equals(directory))
                    .forEach(others::add);
        }
        others.sort(Comparator.comparing(LaunchCache::lastLaunch).reversed());
        for (Path other : others.subList(Math.min(KEEP_OTHERS, others.size()), others.size())) {
            deleteUnlessInUse(other);
        }
        try (Stream<Path> leftovers = Files.list(directory)) {
            for (Path leftover : leftovers.toList()) {
                String name = leftover.getFileName().toString();
                if ((name.contains(".extracting-") || name.contains(".recording-"))
                        && Files.getLastModifiedTime(leftover).toInstant().isBefore(now.minus(ABANDONED))) {
                    deleteOrReport(leftover);
                }
            }
        }
        return inUse;
    }

    /** Deletes an entry unless a launcher holds it (a service runs from it). */
    private static void deleteUnlessInUse(Path entry) {
        try (FileChannel channel = FileChannel.open(entry.resolve(LAST_LAUNCH), StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldHere) {
                return; // this process runs from it
            }
            if (lock != null) {
                deleteOrReport(entry);
            }
        } catch (NoSuchFileException removed) {
            // another launch removed it first
        } catch (IOException e) {
            report(entry, e);
        }
    }

    /** Deletes {@code path}, or says why not: removal is tried again at a later launch. */
    private static void deleteOrReport(Path path) {
        try {
            delete(path);
        } catch (IOException e) {
            report(path, e);
        }
    }

    /**
     * A removal that failed, through the JDK's logger: the launcher's JVM has no logging of its own
     * (Spring configures it in the service's JVM).
     */
    private static void report(Path path, IOException e) {
        System.getLogger(LaunchCache.class.getName())
                .log(
                        System.Logger.Level.WARNING,
                        "Could not remove " + path + " from the launch cache (tried again at a later launch): " + e);
    }

    private static FileTime lastLaunch(Path entry) {
        try {
            return Files.getLastModifiedTime(entry.resolve(LAST_LAUNCH));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static void delete(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(path)) {
            tree.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
