package dev.sluice.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What a run costs the machine, from Linux's {@code /proc}: CPU time by process and thread, peak memory. */
final class Resources {

    private Resources() {}

    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux: the peak then covers the whole benchmark
        }
    }

    /**
     * CPU time of this JVM's threads, Java and native (garbage collector, compiler), by name
     * without numbers, as Linux shows them (at most 15 characters); empty off Linux.
     */
    static Map<String, Long> threadCpuNanos() {
        Map<String, Long> byGroup = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    String group = stat.substring(stat.indexOf('(') + 1, end)
                            .replaceAll("\\d+", "#")
                            .strip();
                    String[] fields = stat.substring(end + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    byGroup.merge(group, ticks * 10_000_000L, Long::sum); // USER_HZ ticks to nanoseconds
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return byGroup;
        }
        return byGroup;
    }

    static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                        .getProcessCpuTime()
                / 1e9;
    }

    /** The CPU time of every PostgreSQL process on this machine (the benchmark's server is the only one), or 0 off Linux. */
    static double postgresCpuSeconds() {
        long ticks = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes
                    .filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                try {
                    String stat = Files.readString(process.resolve("stat"));
                    int end = stat.lastIndexOf(')');
                    if (!stat.substring(stat.indexOf('(') + 1, end).startsWith("postgres")) {
                        continue;
                    }
                    String[] fields = stat.substring(end + 2).split(" ");
                    // utime, stime, and those of ended children (backends of closed connections)
                    ticks += Long.parseLong(fields[11])
                            + Long.parseLong(fields[12])
                            + Long.parseLong(fields[13])
                            + Long.parseLong(fields[14]);
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks / 100.0; // USER_HZ
    }

    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return 0;
    }
}
