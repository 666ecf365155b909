package dev.sluice.launch;

import java.nio.file.Path;

/**
 * A launcher's claim on a cache entry, in a process of its own ({@link LaunchCacheTest}): claims
 * the entry of {@code args[1]} under {@code args[0]}, says {@code held}, and holds it until its
 * input closes.
 */
public final class ClaimProbe {

    private ClaimProbe() {}

    public static void main(String[] args) throws Exception {
        LaunchCache.of(Path.of(args[0]), Path.of(args[1])).claim();
        System.out.println("held");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the test closes our input
        }
    }
}
