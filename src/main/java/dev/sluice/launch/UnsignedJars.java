package dev.sluice.launch;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the signed jars of an extracted jar's class path without their signatures, as the
 * launcher extracts a jar and as the image is built ({@code train-class-data.sh}).
 *
 * <p>Why: the JVM's class-data archive leaves out every class of a signed jar ("Skipping ...:
 * Signed JAR"), and a signed jar's classes are checked against their digests as they load. The only
 * signed jars the service carries are Janino's and its commons-compiler (Spark's expression
 * compiler), signed with a throw-away key ({@code META-INF/DUMMY.DSA}) that vouches for nothing;
 * their 376 classes load as the first fused task compiles its expressions, on a start's way to its
 * first row: 560 to 870 ms on a cold JVM signed, 300 ms unsigned, and with the archive less still.
 * The classes themselves are copied byte for byte; only the signature files and the manifest's
 * per-entry digests go.
 */
public final class UnsignedJars {

    /** A jar signature's files, as {@link JarFile} recognizes them. */
    private static final Pattern SIGNATURE =
            Pattern.compile("META-INF/[^/]+\\.(SF|RSA|DSA|EC)", Pattern.CASE_INSENSITIVE);

    private static final String DIGEST = "-Digest";

    /**
     * The JDK's logger: this package runs before any library is on the class path (in the service,
     * Spring routes it to the service's logging).
     */
    private static final System.Logger LOG = System.getLogger(UnsignedJars.class.getName());

    private UnsignedJars() {}

    /** Unsigns the signed jars of the extracted jar given (the image's build runs this). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("Usage: UnsignedJars <extracted sluice.jar>");
        }
        unsign(Path.of(args[0]));
    }

    /** Rewrites the signed jars among this extracted jar and those its manifest names; returns them. */
    static List<Path> unsign(Path jar) throws IOException {
        List<Path> jars = new ArrayList<>();
        jars.add(jar);
        jars.addAll(LaunchCache.classPath(jar));
        List<Path> unsigned = new ArrayList<>();
        for (Path path : jars) {
            if (Files.isRegularFile(path) && signed(path)) {
                rewrite(path);
                unsigned.add(path);
                LOG.log(System.Logger.Level.DEBUG, "Wrote " + path + " again without its signature");
            }
        }
        return unsigned;
    }

    /** Whether the jar carries a signature. */
    static boolean signed(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                if (SIGNATURE.matcher(entries.nextElement().getName()).matches()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Writes the jar again, in its entries' order, without its signature files and with its
     * manifest's digests left out (a section left empty goes too), then puts it in place of the old.
     * The entries are stored, not compressed again: compressing took most of a first start's
     * extraction step (about 0.4 s for Janino's two jars, against the few more megabytes stored).
     */
    private static void rewrite(Path jar) throws IOException {
        Path partial = jar.resolveSibling(jar.getFileName() + ".unsigning");
        try (ZipFile zip = new ZipFile(jar.toFile());
                OutputStream file = Files.newOutputStream(partial);
                ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(file, 1 << 16))) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                if (SIGNATURE.matcher(name).matches()) {
                    continue;
                }
                byte[] content;
                try (InputStream in = zip.getInputStream(entry)) {
                    content = name.equalsIgnoreCase(JarFile.MANIFEST_NAME)
                            ? manifestWithoutDigests(in)
                            : in.readAllBytes();
                }
                CRC32 crc = new CRC32();
                crc.update(content);
                ZipEntry copy = new ZipEntry(name);
                copy.setTime(entry.getTime());
                copy.setMethod(ZipEntry.STORED);
                copy.setSize(content.length);
                copy.setCompressedSize(content.length);
                copy.setCrc(crc.getValue());
                out.putNextEntry(copy);
                out.write(content);
                out.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The manifest read from {@code in}, written again without its entries' digests. */
    private static byte[] manifestWithoutDigests(InputStream in) throws IOException {
        Manifest manifest = new Manifest(in);
        Iterator<Map.Entry<String, Attributes>> sections =
                manifest.getEntries().entrySet().iterator();
        while (sections.hasNext()) {
            Attributes attributes = sections.next().getValue();
            attributes.keySet().removeIf(key -> key.toString().endsWith(DIGEST));
            if (attributes.isEmpty()) {
                sections.remove();
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        manifest.write(bytes);
        return bytes.toByteArray();
    }
}
