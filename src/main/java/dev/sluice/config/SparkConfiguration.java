package dev.sluice.config;

import dev.sluice.definition.PipelinePlanner;
import dev.sluice.pipeline.NioLocalFileSystem;
import dev.sluice.pipeline.NioLocalFs;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one Spark driver of this service. Where it runs is configuration ({@code sluice.spark.master}). */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SluiceProperties.class)
class SparkConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SparkConfiguration.class);
    private static final String URL_STREAM_HANDLER_FACTORY = "spark.sql.defaultUrlStreamHandlerFactory.enabled";

    /** The driver {@link SparkStart} started while the service was built, or one built here. */
    @Bean(destroyMethod = "stop")
    SparkSession sparkSession(SluiceProperties properties, ObjectProvider<SparkStart> started) {
        SparkStart start = started.getIfAvailable();
        return start != null ? start.session() : build(properties.spark());
    }

    /** A driver with these settings (the same session when one is running already). */
    static SparkSession build(SluiceProperties.Spark spark) {
        return SparkSession.builder().config(conf(spark)).getOrCreate();
    }

    /** The driver's settings: the configured ones, and those Sluice sets or always overrides. */
    static SparkConf conf(SluiceProperties.Spark spark) {
        SparkConf conf = new SparkConf().set("spark.master", spark.master()).setAppName(spark.appName());
        spark.config().forEach(conf::set);
        if (!"false".equals(conf.get(PipelinePlanner.VARIABLE_SUBSTITUTION, "true"))) {
            // ${env:...} and ${system:...} in any SQL text would read the service's environment.
            log.info("{} is always false in Sluice", PipelinePlanner.VARIABLE_SUBSTITUTION);
        }
        conf.set(PipelinePlanner.VARIABLE_SUBSTITUTION, "false");
        // Spark's default (EXCEPTION) fails the query on a date the old and new parsers read
        // differently: one record would stop a pipeline for good. Read it with the new one.
        conf.setIfMissing(PipelinePlanner.TIME_PARSER_POLICY, "CORRECTED");
        // The JVM has one URL stream handler factory, and the embedded Tomcat's is it: Spark's
        // (Hadoop's, for ADD JAR from HDFS, which Sluice never runs) must not take it first.
        conf.set(URL_STREAM_HANDLER_FACTORY, "false");
        // Local checkpoints and files without a chmod or readlink process per file (NioLocalFileSystem).
        conf.setIfMissing("spark.hadoop.fs.file.impl", NioLocalFileSystem.class.getName());
        conf.setIfMissing("spark.hadoop.fs.AbstractFileSystem.file.impl", NioLocalFs.class.getName());
        return conf;
    }
}
