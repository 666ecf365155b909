package dev.sluice.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ServiceCommandTest {

    private static final Path JAVA = Path.of("/jdk/bin/java");
    private static final Path JAR = Path.of("/cache/sluice-1/app/sluice.jar");

    private static List<String> command(List<String> options, Map<String, String> env, ServiceCommand.Archive archive) {
        return ServiceCommand.of(JAVA, options, env, archive, JAR, 42, List.of("--server.port=9090", "x y"));
    }

    @Test
    void startsTheExtractedJarWithTheDriverDefaultsThenTheGivenOptionsThenTheArchive() {
        List<String> command = command(
                List.of("-Xmx2g", "-XX:CompileThresholdScaling=1"),
                Map.of(),
                new ServiceCommand.UseArchive(Path.of("/cache/sluice-1/a.jsa")));

        assertThat(command)
                .containsExactly(
                        "/jdk/bin/java",
                        "-XX:CompileThresholdScaling=4",
                        "-XX:MetaspaceSize=256m",
                        "-XX:+UseParallelGC",
                        "-Xmn256m",
                        "-Xmx2g",
                        // later options win: the user's scaling overrides the default
                        "-XX:CompileThresholdScaling=1",
                        "-XX:SharedArchiveFile=/cache/sluice-1/a.jsa",
                        "-Dsluice.launcher.parent-pid=42",
                        "-jar",
                        "/cache/sluice-1/app/sluice.jar",
                        "--server.port=9090",
                        "x y");
    }

    @Test
    void leavesTheCollectorToOptionsThatChooseOne() {
        // nor the parallel collector's young generation: G1 sizes its own for its pause goal
        assertThat(command(List.of("-XX:+UseG1GC"), Map.of(), new ServiceCommand.NoArchive()))
                .doesNotContain("-XX:+UseParallelGC", "-Xmn256m")
                .contains("-XX:+UseG1GC");
        assertThat(command(
                        List.of(), Map.of("JAVA_TOOL_OPTIONS", "-Xss1m -XX:+UseZGC"), new ServiceCommand.NoArchive()))
                .doesNotContain("-XX:+UseParallelGC");
        assertThat(command(List.of(), Map.of("JDK_JAVA_OPTIONS", "-XX:+UseSerialGC"), new ServiceCommand.NoArchive()))
                .doesNotContain("-XX:+UseParallelGC");
        // turning a collector off is not choosing one
        assertThat(command(List.of("-XX:-UseG1GC"), Map.of(), new ServiceCommand.NoArchive()))
                .contains("-XX:+UseParallelGC");
    }

    @Test
    void recordsAnArchiveQuietlyWhenThereIsNone() {
        List<String> command =
                command(List.of(), Map.of(), new ServiceCommand.RecordArchive(Path.of("/cache/a.jsa.recording-7")));

        assertThat(command)
                .contains("-XX:ArchiveClassesAtExit=/cache/a.jsa.recording-7", "-Xlog:cds=error,cds+dynamic=error")
                .noneMatch(option -> option.startsWith("-XX:SharedArchiveFile"));
    }

    @Test
    void leavesSharingToOptionsThatHandleIt() {
        assertThat(ServiceCommand.managesSharing(List.of("-Xmx1g", "-Xshare:off")))
                .isTrue();
        assertThat(ServiceCommand.managesSharing(List.of("-XX:SharedArchiveFile=/my.jsa")))
                .isTrue();
        assertThat(ServiceCommand.managesSharing(List.of("-XX:ArchiveClassesAtExit=/my.jsa")))
                .isTrue();
        assertThat(ServiceCommand.managesSharing(List.of("-XX:-UseSharedSpaces")))
                .isTrue();
        // -Xshare:on asks for sharing; the launcher's archive gives it
        assertThat(ServiceCommand.managesSharing(List.of("-Xshare:on", "-Xmx1g")))
                .isFalse();
    }

    @Test
    void seesAHookOnClassLoadingFromTheStartInTheOptionsOrTheEnvironment() {
        Map<String, String> none = Map.of();
        assertThat(ServiceCommand.hooksClassLoading(List.of("-javaagent:/otel.jar"), none))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(List.of("-agentpath:/async.so=start"), none))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(List.of("-agentlib:jdwp=transport=dt_socket"), none))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(
                        List.of("-Xmx2g", "-XX:StartFlightRecording=filename=/tmp/s.jfr"), none))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(
                        List.of(), Map.of("JAVA_TOOL_OPTIONS", " -Xmx1g -javaagent:/otel.jar")))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(List.of(), Map.of("JDK_JAVA_OPTIONS", "-XX:StartFlightRecording")))
                .isTrue();
        assertThat(ServiceCommand.hooksClassLoading(
                        List.of("-Xmx2g", "-XX:FlightRecorderOptions=stackdepth=128"),
                        Map.of("JAVA_TOOL_OPTIONS", "-Dagent=none")))
                .isFalse();
    }

    @Test
    void givesTheDriverTheDefaultsTheImagesEntrypointGivesIt() throws IOException {
        String entrypoint = Files.readString(Path.of("src", "main", "docker", "entrypoint.sh"));
        List<String> imageDefaults = new ArrayList<>();
        Matcher assignment =
                Pattern.compile("DRIVER_DEFAULTS\\+?=\\(([^)]*)\\)").matcher(entrypoint);
        while (assignment.find()) {
            imageDefaults.addAll(List.of(assignment.group(1).trim().split("\\s+")));
        }

        List<String> launcherDefaults = new ArrayList<>(ServiceCommand.DRIVER_DEFAULTS);
        launcherDefaults.addAll(ServiceCommand.PARALLEL_COLLECTOR);
        assertThat(imageDefaults).containsExactlyElementsOf(launcherDefaults);
    }

    @Test
    void trainsTheArchiveAsTheImagesBuildDoes() throws IOException {
        String training = Files.readString(Path.of("src", "main", "docker", "train-class-data.sh"));
        Matcher run = Pattern.compile(
                        "-XX:ArchiveClassesAtExit=\\S+\\s+(\\S+)\\s+\\\\\\s+-jar\\s+\\S+((?:\\s+\\\\?\\s*--\\S+)+)")
                .matcher(training);

        assertThat(run.find()).as("the training run in train-class-data.sh").isTrue();
        assertThat(run.group(1)).isEqualTo(ServiceCommand.TRAINING_OPTION);
        assertThat(List.of(run.group(2).replace("\\", " ").trim().split("\\s+")))
                .containsExactlyElementsOf(ServiceCommand.TRAINING_ARGUMENTS);
    }
}
