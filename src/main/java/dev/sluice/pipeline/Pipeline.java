package dev.sluice.pipeline;

import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/** A streaming query definition that can be started any number of times, one run at a time. */
public interface Pipeline {

    /** The stable name, used as the Spark {@code queryName} and the checkpoint folder name. */
    String name();

    /** Whether the service starts this pipeline when it starts. */
    boolean autoStart();

    /** Starts one run; returns as soon as Spark has started the query. */
    StreamingQuery start(SparkSession spark, BatchListener listener) throws TimeoutException;
}
