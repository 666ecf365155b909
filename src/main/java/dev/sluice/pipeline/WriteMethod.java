package dev.sluice.pipeline;

/**
 * How the PostgreSQL sinks put a partition's rows into their staging table before the one merge
 * statement; either way the merge, and the exactly-once guarantee, are the same.
 */
public enum WriteMethod {

    /**
     * {@code COPY ... FROM STDIN}: the fastest. In the binary format when the table's column types
     * all take it (text, varchar, char, the integers, float4, float8, boolean, bytea, timestamps)
     * and each value's binary form is what the text format would store; in the text format
     * otherwise.
     */
    COPY,

    /**
     * {@code COPY ... FROM STDIN} in the text format only, for a PostgreSQL-compatible database
     * that takes {@code COPY} but not its binary format.
     */
    COPY_TEXT,

    /**
     * Batched {@code INSERT} statements, for a PostgreSQL-compatible database or proxy that does
     * not take {@code COPY FROM STDIN}.
     */
    BATCH_INSERT
}
