package dev.sluice.launch;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.ref.Reference;
import java.lang.reflect.InvocationTargetException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The packaged jar's main class: starts the service as the image does when {@code java -jar
 * sluice.jar} runs, from the jar's extracted layout (plain jars on the class path, not jars nested
 * in one) with a class-data archive of the classes it loads, and the driver's JVM defaults. A plain
 * {@code java -jar} can do neither itself (a jar's manifest cannot give the JVM options), and they
 * are most of its start: its first row landed about 21 s after launch, the image's about 9 s.
 *
 * <p>This JVM, the launcher, runs from the jar's root on the plain class path, with the JDK's
 * classes only (the build copies this package there and names this class in the manifest), so it
 * starts in about a tenth of a second. It extracts the jar once into the cache ({@link
 * LaunchCache}) and starts the service's JVM with the options it was given, and stays as its parent:
 * it passes on a stop (SIGTERM, Ctrl+C), waits for the service and exits with its exit code. The
 * first run from a jar runs without an archive; once its service has stopped, a training run
 * ({@link CachePreparation}) writes the archive (about half a minute), and each later run maps it.
 * The service does not record the archive itself: a JVM that records one ran its start about a
 * third slower. A service whose launcher is killed stops on its own ({@code
 * dev.sluice.ParentWatch}), and so does a training run.
 *
 * <p>With {@code sluice.launcher.mode=prepare}, it starts no service: it extracts the jar and has
 * a training run write the archive ({@link CachePreparation}), so the first start maps it too.
 *
 * <p>The service runs in this JVM instead, through Spring Boot's own launcher, when {@code
 * sluice.launcher.mode} is {@code in-place} ({@link LaunchSettings}), when Spring Boot's {@code
 * jarmode} is asked for (its tools, such as {@code extract}), or when the cache cannot be written or
 * the jar extracted: a start never fails for want of the faster one.
 */
public final class ExtractedLaunch {

    /** The system property that tells the service which process launched it. */
    public static final String PARENT_PID = "sluice.launcher.parent-pid";

    /** Spring Boot's launcher of the service from the nested jars, at the jar's root beside this. */
    static final String SPRING_BOOT_LAUNCHER = "org.springframework.boot.loader.launch.JarLauncher";

    /**
     * The launcher's few lines: its JVM has no logging configured (Spring configures it in the
     * service's JVM, whose output follows on the same streams).
     */
    private static final PrintStream OUT = System.err;

    private final Process service;

    /** What writes the archive once the service has stopped, when there is none yet. */
    private final Optional<ArchiveTraining> training;

    /**
     * The claim on the cache entry, held (and so referenced) until this launcher exits: the entry
     * is not removed while its service runs.
     */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final FileLock inUse;

    private boolean finished;

    private ExtractedLaunch(Process service, Optional<ArchiveTraining> training, FileLock inUse) {
        this.service = service;
        this.training = training;
        this.inUse = inUse;
    }

    /** {@code java -jar sluice.jar}: the service from the extracted layout, else in this JVM. */
    public static void main(String[] args) throws Throwable {
        if (System.getProperty("jarmode") == null) {
            runExtracted(args);
        }
        inPlace(args);
    }

    /** The service in this JVM, from the nested jars, as Spring Boot's launcher runs it. */
    private static void inPlace(String[] args) throws Throwable {
        try {
            Class.forName(SPRING_BOOT_LAUNCHER)
                    .getMethod("main", String[].class)
                    .invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Starts the service in a JVM of its own from the extracted jar, waits for it and exits with its
     * exit code; returns when the service is to run in this JVM instead.
     */
    private static void runExtracted(String[] args) {
        LaunchSettings settings;
        try {
            settings = LaunchSettings.from(System.getProperties(), System.getenv());
        } catch (IllegalArgumentException e) {
            OUT.println("Sluice: " + e.getMessage());
            System.exit(2);
            return;
        }
        boolean prepare = settings.mode() == LaunchSettings.Mode.PREPARE;
        Optional<List<String>> options = jvmOptions();
        Path jar = Path.of(System.getProperty("java.class.path"));
        if (!settings.extracted() || options.isEmpty() || !Files.isRegularFile(jar)) {
            if (prepare) {
                OUT.println("Sluice: nothing to prepare; " + LaunchSettings.MODE
                        + "=prepare needs 'java [options] -jar sluice.jar' with the jar as a file");
                System.exit(1);
            }
            return;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        LaunchCache cache;
        FileLock inUse;
        Path extracted;
        try {
            cache = LaunchCache.of(settings.cacheRoot(), jar);
            inUse = cache.claim();
            extracted = cache.extractedJar(java, jar);
        } catch (IOException | RuntimeException e) {
            if (prepare) {
                OUT.println("Sluice: the extracted layout could not be prepared in " + settings.cacheRoot() + " ("
                        + e.getMessage() + "). Set sluice.launcher.cache-dir to a writable directory.");
                System.exit(1);
            }
            OUT.println("Sluice: starting inside the jar; the extracted layout could not be prepared in "
                    + settings.cacheRoot() + " (" + e.getMessage() + "). Set sluice.launcher.cache-dir to a"
                    + " writable directory, or sluice.launcher.mode=in-place.");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (prepare) {
                System.exit(1);
            }
            return;
        }
        Path archive = cache.archive(System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version")
                + " " + System.getProperty("java.home"));
        if (prepare) {
            int code = 1;
            try {
                code = new CachePreparation(OUT)
                        .prepare(java, options.get(), System.getenv(), cache, extracted, archive);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // The claim holds until the preparation is over: no other launch removes the entry meanwhile.
            Reference.reachabilityFence(inUse);
            System.exit(code);
        }
        ServiceCommand.Archive plan;
        boolean hooked = ServiceCommand.hooksClassLoading(options.get(), System.getenv());
        Optional<ArchiveTraining> training = Optional.empty();
        if (ServiceCommand.managesSharing(options.get()) || hooked) {
            plan = new ServiceCommand.NoArchive();
        } else if (Files.isRegularFile(archive)) {
            plan = new ServiceCommand.UseArchive(archive);
        } else {
            // Written by a training run after the stop, not recorded by the service (see above).
            plan = new ServiceCommand.NoArchive();
            training =
                    Optional.of(new ArchiveTraining(java, options.get(), System.getenv(), cache, extracted, archive));
        }
        List<String> command = ServiceCommand.of(
                java,
                options.get(),
                System.getenv(),
                plan,
                extracted,
                ProcessHandle.current().pid(),
                Arrays.asList(args));
        String note = "";
        if (hooked) {
            note = " without its class-data archive: an agent or a flight recording from the JVM's start"
                    + " crashes Java 17 on archived classes of multi-release jars (JDK-8343427)";
        } else if (plan instanceof ServiceCommand.UseArchive) {
            note = " with its class-data archive";
        } else if (training.isPresent()) {
            note = " (the first start from this jar: once the service stops, a training run writes the class-data"
                    + " archive that makes later starts faster)";
        }
        OUT.println("Sluice: starting from " + extracted.getParent() + note);
        Process service;
        try {
            service = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            OUT.println("Sluice: starting inside the jar; " + java + " could not be started: " + e.getMessage());
            return;
        }
        ExtractedLaunch launch = new ExtractedLaunch(service, training, inUse);
        Runtime.getRuntime().addShutdownHook(new Thread(launch::stop, "sluice-launcher-stop"));
        System.exit(launch.awaitService());
    }

    /** The JVM options of this process's command line: what came before {@code -jar}. */
    static Optional<List<String>> jvmOptions() {
        return ProcessHandle.current().info().arguments().flatMap(arguments -> {
            int jar = Arrays.asList(arguments).indexOf("-jar");
            return jar < 0 ? Optional.empty() : Optional.of(List.of(arguments).subList(0, jar));
        });
    }

    private int awaitService() {
        while (true) {
            try {
                int code = service.waitFor();
                finish(code);
                return code;
            } catch (InterruptedException e) {
                // only a stop ends the wait; the hook passes it on
            }
        }
    }

    /** The shutdown hook: passes the stop on to the service and waits for it to end. */
    private void stop() {
        if (service.isAlive()) {
            service.destroy();
        }
        boolean interrupted = false;
        while (true) {
            try {
                finish(service.waitFor());
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Once the service has ended: when it has no archive yet and stopped as asked (exit 0, or 130
     * and 143 for SIGINT and SIGTERM), a training run writes it ({@link CachePreparation}); a run
     * that failed may not start at all, nor would its training.
     */
    private synchronized void finish(int code) {
        if (finished) {
            return;
        }
        finished = true;
        if (training.isEmpty() || !(code == 0 || code == 130 || code == 143)) {
            return;
        }
        try {
            training.get().run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The training run that writes a jar's class-data archive for this JVM, with the JVM options
     * of the service's start, as {@code sluice.launcher.mode=prepare} does.
     */
    private record ArchiveTraining(
            Path java, List<String> options, Map<String, String> env, LaunchCache cache, Path extracted, Path archive) {

        void run() throws InterruptedException {
            if (Files.isRegularFile(archive)) {
                return; // another start from the jar has written it meanwhile
            }
            OUT.println("Sluice: the service has stopped; a training run now writes the class-data archive that"
                    + " makes later starts faster (about half a minute)");
            new CachePreparation(OUT).prepare(java, options, env, cache, extracted, archive);
        }
    }
}
