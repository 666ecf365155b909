package dev.sluice.bench;

import java.util.function.Supplier;

/** One run of the benchmark: a system doing the job once over the preloaded topic, timed by the harness. */
interface BenchRun {

    /** The group it belongs to, for {@code -Dbench.only}: postgres, parquet, defined, stateful. */
    String group();

    /** Its own name, for {@code -Dbench.only}. */
    String id();

    /** How the results table names it. */
    String label();

    /** Runs once; returns how to count what it wrote, which happens after the clock stops. */
    Supplier<Long> run(Bench bench, String topic) throws Exception;
}
