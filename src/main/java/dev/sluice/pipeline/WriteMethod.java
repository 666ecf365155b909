package dev.sluice.pipeline;

/**
 * How the PostgreSQL sinks put a partition's rows into their staging table before the one merge
 * statement; either way the merge, and the exactly-once guarantee, are the same.
 */
public enum WriteMethod {

    /** {@code COPY ... FROM STDIN}: the fastest. */
    COPY,

    /**
     * Batched {@code INSERT} statements, for a PostgreSQL-compatible database or proxy that does
     * not take {@code COPY FROM STDIN}.
     */
    BATCH_INSERT
}
