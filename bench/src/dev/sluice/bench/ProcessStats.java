package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What another process has cost so far, from Linux's {@code /proc}; 0 off Linux. */
final class ProcessStats {

    private ProcessStats() {}

    /** User and system CPU seconds of the process (all its threads). */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // USER_HZ
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The process's peak resident memory (VmHWM). */
    static long peakRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or it ended
        }
        return 0;
    }
}
