package dev.sluice.launch;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice.launcher.mode=prepare}: readies a jar's cache entry for its next start without
 * starting the service, for a host's provisioning step or an image build that runs the jar as it
 * is. The jar is extracted as a start extracts it, and its class-data archive written by a
 * training run: the service started up to its refreshed context with the JVM options given, as the
 * image's build trains its own ({@link ServiceCommand#TRAINING_OPTION}), which needs no database,
 * broker or pipeline. Even the first start from the jar then maps the archive, instead of running
 * without one and writing it as it stops.
 */
final class CachePreparation {

    /** Longer than any training run takes; one that hangs is stopped and reported. */
    private static final Duration TRAINING_DEADLINE = Duration.ofMinutes(10);

    /** The lines of a failed training run's log shown. */
    private static final int TAIL = 40;

    /** What a training run says about work it could not do (the archive is then smaller). */
    private static final String TRAINING_WARNING = "Class-data training:";

    private final PrintStream out;

    CachePreparation(PrintStream out) {
        this.out = out;
    }

    /**
     * Writes the archive of an extracted entry unless it has one.
     *
     * @param java the {@code java} executable of this JVM
     * @param options the JVM options {@code java -jar} was given, in order
     * @param env this process's environment
     * @param entry the jar's cache entry, claimed by this process
     * @param extracted the extracted jar in it
     * @param archive where its archive for this JVM goes
     * @return the launcher's exit code: 0 when the entry is ready to start from
     */
    int prepare(
            Path java, List<String> options, Map<String, String> env, LaunchCache entry, Path extracted, Path archive)
            throws InterruptedException {
        if (ServiceCommand.managesSharing(options) || ServiceCommand.hooksClassLoading(options, env)) {
            out.println("Sluice: extracted into " + entry.directory() + "; no class-data archive is written for"
                    + " these JVM options, which handle class-data sharing themselves or hook class loading");
            return 0;
        }
        if (Files.isRegularFile(archive)) {
            out.println("Sluice: " + entry.directory() + " is ready: the extracted jar and its class-data archive");
            return 0;
        }
        Path recording = entry.recording(archive);
        Path log =
                entry.directory().resolve("training-" + ProcessHandle.current().pid() + ".log");
        List<String> trainingOptions = new ArrayList<>(options);
        trainingOptions.add(ServiceCommand.TRAINING_OPTION);
        List<String> command = ServiceCommand.of(
                java,
                trainingOptions,
                env,
                new ServiceCommand.RecordArchive(recording),
                extracted,
                ProcessHandle.current().pid(),
                ServiceCommand.TRAINING_ARGUMENTS);
        out.println("Sluice: a training run of the service writes the class-data archive of " + entry.directory()
                + " (its log: " + log + ")");
        long started = System.nanoTime();
        Process training;
        try {
            training = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            out.println("Sluice: " + java + " could not be started: " + e.getMessage());
            return 1;
        }
        // A stop of this launcher (SIGTERM, Ctrl+C) ends the training run too, and keeps nothing;
        // unless the launcher is stopping already (the training after a service's stop): then the
        // run goes on to its end, and a launcher killed meanwhile takes it along (ParentWatch).
        Thread stop = new Thread(() -> abandon(training, recording), "sluice-training-stop");
        boolean hooked = true;
        try {
            Runtime.getRuntime().addShutdownHook(stop);
        } catch (IllegalStateException stopping) {
            hooked = false;
        }
        boolean ended = training.waitFor(TRAINING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        if (hooked) {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException stopping) {
                return 1; // the hook has ended the run
            }
        }
        if (!ended) {
            abandon(training, recording);
        }
        int code = ended ? training.exitValue() : -1;
        try {
            List<String> lines = lines(log);
            if (code == 0 && LaunchCache.keep(recording, archive)) {
                lines.stream().filter(line -> line.contains(TRAINING_WARNING)).forEach(out::println);
                Files.deleteIfExists(log);
                out.println("Sluice: class-data archive written (" + (Files.size(archive) >> 20) + " MiB, "
                        + Duration.ofNanos(System.nanoTime() - started).toSeconds()
                        + " s); starts from this jar map it");
                return 0;
            }
            Files.deleteIfExists(recording);
            out.println("Sluice: the training run "
                    + (ended ? "failed (exit " + code + ")" : "took over " + TRAINING_DEADLINE.toMinutes() + " minutes")
                    + "; no archive was written. The last lines of its log, " + log + ":");
            lines.subList(Math.max(0, lines.size() - TAIL), lines.size()).forEach(out::println);
        } catch (IOException e) {
            out.println("Sluice: the class-data archive could not be kept: " + e.getMessage());
        }
        return 1;
    }

    /** Ends a training run at once (no archive is written) and drops what it recorded. */
    private static void abandon(Process training, Path recording) {
        training.destroyForcibly();
        try {
            training.waitFor(30, TimeUnit.SECONDS);
            Files.deleteIfExists(recording);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a recording left behind is removed by a later launch's claim (LaunchCache#claim)
        }
    }

    private static List<String> lines(Path log) throws IOException {
        if (!Files.isRegularFile(log)) {
            return List.of();
        }
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
                .lines()
                .toList();
    }
}
