package dev.sluice.launch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The command line of the service's JVM when {@code java -jar} starts it from the extracted
 * layout: the driver's JVM defaults (the same as the image's entrypoint, {@code
 * src/main/docker/entrypoint.sh}), then the options {@code java -jar} was given, which win, then the
 * class-data archive, then the extracted jar and the service's arguments.
 */
final class ServiceCommand {

    /**
     * The driver's JVM defaults, as the image's entrypoint gives them (see it for why; a test keeps
     * the two the same): fewer and later JIT compilations, and the first collection for class
     * metadata at 256 MiB.
     */
    static final List<String> DRIVER_DEFAULTS = List.of("-XX:CompileThresholdScaling=4", "-XX:MetaspaceSize=256m");

    /**
     * What makes a start a class-data training run, as the image's build runs one ({@code
     * src/main/docker/train-class-data.sh}; a test keeps the two the same): the service ends itself
     * once its context is refreshed, having planned its pipelines and run a micro-batch on the side
     * ({@code dev.sluice.config.ClassDataTraining}), needing no database, broker or pipeline.
     */
    static final String TRAINING_OPTION = "-Dspring.context.exit=onRefresh";

    /** The training run's arguments: no migration, and a driver on loopback. */
    static final List<String> TRAINING_ARGUMENTS = List.of(
            "--spring.flyway.enabled=false",
            "--sluice.spark.config.spark.driver.host=127.0.0.1",
            "--sluice.spark.config.spark.driver.bindAddress=127.0.0.1");

    /**
     * The throughput collector, the driver's unless the options choose one, with a young
     * generation of a fixed 256 MiB: a catch-up's garbage is per record, so its memory is reused
     * from the first collection on instead of growing (and faulting in fresh pages) through the
     * catch-up. A later {@code -Xmn} in the options wins.
     */
    static final List<String> PARALLEL_COLLECTOR = List.of("-XX:+UseParallelGC", "-Xmn256m");

    /** What to do about the class-data archive. */
    sealed interface Archive {}

    /** Map this archive's classes instead of loading them. */
    record UseArchive(Path file) implements Archive {}

    /** Write the classes this run loads into a new archive when it exits. */
    record RecordArchive(Path file) implements Archive {}

    /** No archive: the options chose their own, turned sharing off, or hook class loading. */
    record NoArchive() implements Archive {}

    private ServiceCommand() {}

    /**
     * The command.
     *
     * @param java the {@code java} executable of this JVM
     * @param options the JVM options {@code java -jar} was given, in order
     * @param env this process's environment ({@code JAVA_TOOL_OPTIONS} and {@code
     *     JDK_JAVA_OPTIONS} are read by the new JVM itself, but a collector they choose counts)
     * @param archive what to do about the class-data archive
     * @param jar the extracted jar
     * @param parentPid this process
     * @param args the service's arguments
     */
    static List<String> of(
            Path java,
            List<String> options,
            Map<String, String> env,
            Archive archive,
            Path jar,
            long parentPid,
            List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(DRIVER_DEFAULTS);
        // The throughput collector, unless one was chosen (the JVM refuses two).
        if (!choosesCollector(withEnvironment(options, env))) {
            command.addAll(PARALLEL_COLLECTOR);
        }
        command.addAll(options);
        if (archive instanceof UseArchive use) {
            command.add("-XX:SharedArchiveFile=" + use.file());
        } else if (archive instanceof RecordArchive record) {
            command.add("-XX:ArchiveClassesAtExit=" + record.file());
            // The archive's notes on classes it leaves out (signed jars, old bytecode) are not news;
            // its errors are.
            command.add("-Xlog:cds=error,cds+dynamic=error");
        }
        command.add("-D" + ExtractedLaunch.PARENT_PID + "=" + parentPid);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        return command;
    }

    /**
     * Whether these options handle class-data sharing themselves: an archive of their own, sharing
     * off, or a recording; then the launcher leaves it to them. {@code -Xshare:on} is not one: it
     * makes the JVM refuse to start without the archive the launcher gives it.
     */
    static boolean managesSharing(List<String> options) {
        return options.stream()
                .anyMatch(option -> option.equals("-Xshare:off")
                        || option.startsWith("-XX:SharedArchiveFile=")
                        || option.startsWith("-XX:ArchiveClassesAtExit=")
                        || option.equals("-XX:-UseSharedSpaces")
                        || option.equals("-XX:+AutoCreateSharedArchive"));
    }

    /**
     * Whether the JVM would hook class loading from its start: an agent ({@code -javaagent},
     * {@code -agentlib}, {@code -agentpath}) or a flight recording ({@code
     * -XX:StartFlightRecording}), in the options or in {@code JAVA_TOOL_OPTIONS} or {@code
     * JDK_JAVA_OPTIONS}. Then no archive is mapped or recorded: on Java 17 such a hook crashes the
     * JVM on archived classes of multi-release jars (see {@link MultiReleaseClasses}).
     */
    static boolean hooksClassLoading(List<String> options, Map<String, String> env) {
        return withEnvironment(options, env).stream()
                .anyMatch(option -> option.startsWith("-javaagent:")
                        || option.startsWith("-agentlib:")
                        || option.startsWith("-agentpath:")
                        || option.startsWith("-XX:StartFlightRecording"));
    }

    /**
     * The options, then those of {@code JAVA_TOOL_OPTIONS} and {@code JDK_JAVA_OPTIONS}, which the
     * new JVM reads itself.
     */
    private static List<String> withEnvironment(List<String> options, Map<String, String> env) {
        List<String> all = new ArrayList<>(options);
        for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            String value = env.getOrDefault(variable, "").trim();
            if (!value.isEmpty()) {
                all.addAll(List.of(value.split("\\s+")));
            }
        }
        return all;
    }

    private static boolean choosesCollector(List<String> options) {
        return options.stream().anyMatch(option -> option.matches("-XX:\\+Use\\w*GC"));
    }
}
