package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The service's JIT directives ({@code jit-directives.json}, added by {@link StartJitDirectives}):
 * the JVM accepts them, once added its optimizing compiler leaves the start-up code they match to
 * the fast compiler, and they match none of the code that runs each record.
 */
class JitDirectivesTest {

    private static final Path DIRECTIVES = Path.of("src", "main", "resources", "jit-directives.json");

    /** A program, run from its source, that adds the directives as the service does and runs code. */
    private static final Path PROBE = Path.of("src", "test", "resources", "jit-probe", "JitProbe.java");

    /** Classes on the path of every record: the directives must leave them to C2. */
    private static final List<String> PER_RECORD = List.of(
            "org/apache/kafka/clients/consumer/internals/CompletedFetch",
            "org/apache/kafka/common/record/DefaultRecordBatch",
            "org/apache/spark/sql/kafka010/consumer/InternalKafkaConsumer",
            "org/apache/spark/sql/catalyst/expressions/UnsafeRow",
            "com/fasterxml/jackson/core/json/UTF8StreamJsonParser",
            "org/postgresql/core/PGStream",
            "dev/sluice/pipeline/RowSender",
            "dev/sluice/pipeline/JsonDecoder",
            "java/util/zip/CRC32C",
            "java/util/HashMap",
            "java/lang/invoke/LambdaForm$MH",
            "java/lang/invoke/DirectMethodHandle$Holder",
            "java/lang/invoke/Invokers$Holder",
            "sun/security/ssl/SSLEngineImpl",
            "org/apache/hadoop/hdfs/DFSOutputStream",
            "org/apache/parquet/column/impl/ColumnWriterV1");

    @Test
    void theJvmReadsTheDirectivesAndExcludesOnlyStartUpCodeFromC2() throws Exception {
        Run run = java(
                "-XX:+UnlockDiagnosticVMOptions",
                "-XX:CompilerDirectivesFile=" + DIRECTIVES.toAbsolutePath(),
                "-XX:+CompilerDirectivesPrint",
                "-version");

        assertThat(run.exitCode()).as(run.output()).isZero();
        List<String> patterns = matchedPatterns(run.output());
        assertThat(patterns).contains("org/springframework/*.*", "org/antlr/*.*", "org/codehaus/*.*");
        // The directive's C2 block excludes; its C1 block is not enabled (C1 compiles as always).
        String directive = run.output().substring(run.output().indexOf(" matching: "));
        directive = directive.substring(0, directive.indexOf("Directive: (default)"));
        assertThat(directive.substring(directive.indexOf(" c2 directives:"))).contains("Enable:true Exclude:true");
        assertThat(directive.substring(directive.indexOf(" c1 directives:"), directive.indexOf(" c2 directives:")))
                .contains("Enable:false Exclude:false");
        for (String perRecord : PER_RECORD) {
            assertThat(patterns)
                    .as("no pattern matches %s", perRecord)
                    .noneMatch(pattern -> perRecord.startsWith(pattern.substring(0, pattern.indexOf('*'))));
        }
    }

    @Test
    void onceAddedStartUpCodeIsCompiledByC1OnlyAndOtherCodeStillReachesC2() throws Exception {
        Run run = java(
                "-Xbatch",
                "-XX:+PrintCompilation",
                "-cp",
                System.getProperty("java.class.path"),
                PROBE.toAbsolutePath().toString());

        assertThat(run.exitCode()).as(run.output()).isZero();
        Map<String, List<Integer>> levels = compiledLevels(run.output());
        // Spring's code (start-up code, by the directives): compiled, by C1 alone.
        assertThat(levels.get("org.springframework.util.StringUtils::hasText"))
                .as(run.output())
                .isNotEmpty()
                .doesNotContain(4);
        // Code the directives do not match: compiled by C2 as always.
        assertThat(levels.get("JitProbe::work")).as(run.output()).contains(4);
    }

    /** Runs this JVM's java with the given arguments. */
    private static Run java(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(Arrays.asList(arguments));
        Path output = Files.createTempFile("jit-directives", ".txt");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("java did not finish in 60 s: " + command);
            }
            return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static List<String> matchedPatterns(String output) {
        Matcher matching = Pattern.compile(" matching: (.+)").matcher(output);
        assertThat(matching.find()).as(output).isTrue();
        return List.of(matching.group(1).strip().split(",\\s*"));
    }

    /** Method to the tiers it was compiled at, from -XX:+PrintCompilation's lines. */
    private static Map<String, List<Integer>> compiledLevels(String output) {
        Pattern line = Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%s!bn ]*?([0-4])\\s+(\\S+::\\S+)", Pattern.MULTILINE);
        Map<String, List<Integer>> levels = new HashMap<>();
        Matcher matcher = line.matcher(output);
        while (matcher.find()) {
            levels.computeIfAbsent(matcher.group(2), key -> new ArrayList<>()).add(Integer.parseInt(matcher.group(1)));
        }
        return levels;
    }

    private record Run(int exitCode, String output) {}
}
