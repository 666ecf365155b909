package dev.sluice;

import dev.sluice.launch.ExtractedLaunch;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * In a service that {@link ExtractedLaunch} started: stops the service when its launcher is gone
 * (killed with SIGKILL, say, which it cannot pass on), so no service outlives the process its
 * supervisor knows.
 */
public final class ParentWatch {

    private ParentWatch() {}

    /** Watches the launcher named by {@code sluice.launcher.parent-pid}, if any. */
    public static void start() {
        String pid = System.getProperty(ExtractedLaunch.PARENT_PID);
        if (pid == null) {
            return;
        }
        Optional<ProcessHandle> launcher = ProcessHandle.of(Long.parseLong(pid.trim()));
        if (launcher.isEmpty()) {
            gone(pid);
            return;
        }
        launcher.get().onExit().thenRun(() -> gone(pid));
    }

    private static void gone(String pid) {
        // The logger is looked up only now: before Spring configures logging it would set it up itself.
        LoggerFactory.getLogger(ParentWatch.class).warn("The launcher (process {}) is gone; stopping", pid);
        System.exit(143);
    }
}
