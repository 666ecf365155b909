package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * What another process has cost so far, with the processes it started (a launcher's JVM, say),
 * from Linux's {@code /proc}; 0 off Linux.
 */
final class ProcessStats {

    private ProcessStats() {}

    /**
     * User and system CPU seconds of the process and its descendants (all their threads, and the
     * children they have already waited for).
     */
    static double cpuSeconds(long pid) {
        return tree(pid).mapToDouble(ProcessStats::ownCpuSeconds).sum();
    }

    /**
     * The peak resident memory (VmHWM) of the process plus those of its running descendants: an
     * upper bound of what they held at once.
     */
    static long peakRss(long pid) {
        return tree(pid).map(ProcessStats::ownPeakRss).reduce(0L, Long::sum);
    }

    private static Stream<Long> tree(long pid) {
        return Stream.concat(
                Stream.of(pid),
                ProcessHandle.of(pid).stream()
                        .flatMap(ProcessHandle::descendants)
                        .map(ProcessHandle::pid));
    }

    private static double ownCpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime, stime, cutime, cstime, in USER_HZ
            return LongStream.rangeClosed(11, 14)
                            .map(i -> Long.parseLong(fields[(int) i]))
                            .sum()
                    / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long ownPeakRss(long pid) {
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
