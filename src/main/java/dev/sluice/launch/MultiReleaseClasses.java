package dev.sluice.launch;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * The classes this JVM loads from the versioned part of multi-release jars ({@code
 * META-INF/versions/N/}), listed beside an extracted jar ({@value #FILE}) and loaded as the
 * service starts, before anything can hook class loading.
 *
 * <p>Why: on Java 17, a class-file hook (a flight recording, or an agent, started while the service
 * runs) crashes the JVM the moment it loads such a class from a class-data archive (JDK-8343427,
 * fixed in Java 24): the JVM looks the class's bytes up by name and misses the versioned entry. The
 * image and {@code java -jar} map an archive, and the service loads some of these classes only
 * later (the PostgreSQL driver's with its first connection, say). Loaded before any hook can
 * exist, they never meet one. A hook from the JVM's start is another matter: then no archive is
 * mapped ({@link ServiceCommand#hooksClassLoading}, and the image's entrypoint).
 */
public final class MultiReleaseClasses {

    /** The list's file name, beside the extracted jar. */
    public static final String FILE = "multi-release-classes.txt";

    private static final String VERSIONS = "META-INF/versions/";

    /**
     * The JDK's logger: this package runs before any library is on the class path (in the service,
     * Spring routes it to the service's logging).
     */
    private static final System.Logger LOG = System.getLogger(MultiReleaseClasses.class.getName());

    private MultiReleaseClasses() {}

    /**
     * Writes the list beside an extracted jar, for this JVM's version: {@code
     * train-class-data.sh} runs it in the image; the launcher calls {@link #write} as it extracts.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("Usage: MultiReleaseClasses <extracted sluice.jar>");
        }
        write(Path.of(args[0]));
    }

    /** Writes the list for the extracted jar and every jar its manifest names. */
    static void write(Path jar) throws IOException {
        List<Path> jars = new ArrayList<>();
        jars.add(jar);
        jars.addAll(LaunchCache.classPath(jar));
        List<String> classes = of(jars, Runtime.version().feature());
        Files.write(jar.resolveSibling(FILE), classes, StandardCharsets.UTF_8);
    }

    /**
     * The binary names of the classes a JVM of this feature version loads from the versioned part
     * of these jars (those that declare themselves multi-release), sorted.
     */
    static List<String> of(List<Path> jars, int feature) throws IOException {
        TreeSet<String> classes = new TreeSet<>();
        for (Path path : jars) {
            try (JarFile jar = new JarFile(path.toFile(), false, ZipFile.OPEN_READ, Runtime.version())) {
                if (!jar.isMultiRelease()) {
                    continue;
                }
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    String name = entries.nextElement().getName();
                    if (name.startsWith(VERSIONS) && name.endsWith(".class")) {
                        String versioned = name.substring(VERSIONS.length());
                        int slash = versioned.indexOf('/');
                        String className = versioned.substring(slash + 1);
                        if (slash > 0
                                && !className.endsWith("module-info.class")
                                && applies(versioned.substring(0, slash), feature)) {
                            classes.add(className
                                    .substring(0, className.length() - ".class".length())
                                    .replace('/', '.'));
                        }
                    }
                }
            }
        }
        return List.copyOf(classes);
    }

    private static boolean applies(String version, int feature) {
        try {
            return Integer.parseInt(version) <= feature;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * {@link #preload} on a thread of its own, so the start does not wait for it (some of the
     * classes are in no archive and open their jars; about 0.2 s). It is done within the JVM's first
     * half second, sooner than a flight recording can be attached and started.
     */
    public static void preloadInBackground(Class<?> main) {
        Thread thread = new Thread(() -> preload(main), "multi-release-preload");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Loads (without initializing) the listed classes beside the jar {@code main} came from, if it
     * came from an extracted jar with a list; a class that cannot be loaded is passed over.
     */
    public static int preload(Class<?> main) {
        Path list;
        try {
            CodeSource source = main.getProtectionDomain().getCodeSource();
            if (source == null || !"file".equals(source.getLocation().getProtocol())) {
                return 0; // not from a plain jar: in place, or classes from a build
            }
            Path jar = Path.of(source.getLocation().toURI());
            list = jar.resolveSibling(FILE);
            if (!Files.isRegularFile(jar) || !Files.isRegularFile(list)) {
                return 0;
            }
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            LOG.log(System.Logger.Level.DEBUG, "No list of multi-release classes beside " + main + ": " + e);
            return 0;
        }
        List<String> names;
        try {
            names = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "Could not read " + list + "; its classes are loaded when needed: " + e);
            return 0;
        }
        int loaded = 0;
        for (String name : names) {
            try {
                Class.forName(name.strip(), false, main.getClassLoader());
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                // a class of an optional part whose dependencies are absent: never loaded anyway
                LOG.log(System.Logger.Level.DEBUG, "Not preloaded: " + name + " (" + e + ")");
            }
        }
        return loaded;
    }
}
