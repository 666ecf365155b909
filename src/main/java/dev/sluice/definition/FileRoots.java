package dev.sluice.definition;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where pipelines defined over the API may read and write files: under one of the configured
 * roots (local folders or {@code hdfs://} URIs), and never in a place the service keeps for itself
 * (its checkpoints, the built-in pipelines' output). Paths are compared after normalisation, so
 * {@code ..} cannot climb out of a root. Symbolic links inside a root are followed by the file
 * system, not by this check: keep the roots free of links that lead out.
 */
public final class FileRoots {

    private final List<URI> roots;
    private final List<URI> reserved;

    /**
     * @param roots the folders files may be under
     * @param reserved places inside them that are the service's own
     */
    public FileRoots(List<String> roots, List<String> reserved) {
        this.roots = roots.stream().map(FileRoots::location).toList();
        this.reserved = reserved.stream().map(FileRoots::location).toList();
    }

    /** Why a path is not allowed, if it is not. */
    public Optional<String> refusal(String path) {
        URI location;
        try {
            location = location(path);
        } catch (IllegalArgumentException e) {
            return Optional.of("'" + path + "' is not a path or URI: " + e.getMessage());
        }
        if (location.getPath() == null
                || location.getPath().contains("/../")
                || location.getPath().endsWith("/..")) {
            return Optional.of("'" + path + "' climbs out of its folder");
        }
        for (URI own : reserved) {
            if (within(location, own) || within(own, location)) {
                return Optional.of("'" + path + "' overlaps " + own + ", which the service keeps for itself");
            }
        }
        if (roots.stream().noneMatch(root -> within(location, root))) {
            return Optional.of("'" + path + "' is outside the folders pipelines may use: "
                    + String.join(", ", roots.stream().map(URI::toString).toList()) + " (sluice.pipelines.file-roots)");
        }
        return Optional.empty();
    }

    private static boolean within(URI path, URI folder) {
        String folderPath = folder.getPath().endsWith("/") ? folder.getPath() : folder.getPath() + "/";
        String candidate = path.getPath().endsWith("/") ? path.getPath() : path.getPath() + "/";
        return Objects.equals(lower(path.getScheme()), lower(folder.getScheme()))
                && Objects.equals(lower(path.getAuthority()), lower(folder.getAuthority()))
                && candidate.startsWith(folderPath);
    }

    private static String lower(String text) {
        return text == null ? null : text.toLowerCase(Locale.ROOT);
    }

    /** A path as an absolute, normalised URI: local paths as {@code file:} URIs. */
    static URI location(String path) {
        if (path.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) {
            try {
                URI uri = new URI(path).normalize();
                if ("file".equalsIgnoreCase(uri.getScheme())) {
                    return Path.of(uri).toAbsolutePath().normalize().toUri();
                }
                if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                    throw new IllegalArgumentException("a URI needs an absolute path");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(e.getReason(), e);
            }
        }
        return Path.of(path).toAbsolutePath().normalize().toUri();
    }
}
