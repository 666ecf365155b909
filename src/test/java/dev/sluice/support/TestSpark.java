package dev.sluice.support;

import org.apache.spark.sql.SparkSession;

/** One local Spark session for the unit tests of a JVM; Spark's own shutdown hook stops it. */
public final class TestSpark {

    private static SparkSession session;

    private TestSpark() {}

    public static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder()
                    .config("spark.master", "local[2]")
                    .appName("sluice-unit-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
        }
        return session;
    }
}
