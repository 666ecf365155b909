package dev.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.NioLocalFileSystem;
import dev.sluice.pipeline.NioLocalFs;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The driver's settings: the configured ones, with what Sluice sets unless told and what it always sets. */
class SparkConfigurationTest {

    @Test
    void localFilesGoThroughSluicesFileSystemAndTomcatKeepsTheUrlHandlerFactory() {
        SparkConf conf = SparkConfiguration.conf(new SluiceProperties.Spark("local[2]", "sluice", Map.of()));

        assertThat(conf.get("spark.master")).isEqualTo("local[2]");
        assertThat(conf.get("spark.hadoop.fs.file.impl")).isEqualTo(NioLocalFileSystem.class.getName());
        assertThat(conf.get("spark.hadoop.fs.AbstractFileSystem.file.impl")).isEqualTo(NioLocalFs.class.getName());
        assertThat(conf.get("spark.sql.defaultUrlStreamHandlerFactory.enabled")).isEqualTo("false");
        assertThat(conf.get("spark.sql.variable.substitute")).isEqualTo("false");
        assertThat(conf.get("spark.sql.legacy.timeParserPolicy")).isEqualTo("CORRECTED");
    }

    @Test
    void theConfigurationMayChooseAnotherFileSystemButNotTheOverriddenSettings() {
        SparkConf conf = SparkConfiguration.conf(new SluiceProperties.Spark(
                "local[2]",
                "sluice",
                Map.of(
                        "spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.LocalFileSystem",
                        "spark.sql.defaultUrlStreamHandlerFactory.enabled", "true",
                        "spark.sql.variable.substitute", "true")));

        assertThat(conf.get("spark.hadoop.fs.file.impl")).isEqualTo("org.apache.hadoop.fs.LocalFileSystem");
        assertThat(conf.get("spark.sql.defaultUrlStreamHandlerFactory.enabled")).isEqualTo("false");
        assertThat(conf.get("spark.sql.variable.substitute")).isEqualTo("false");
    }
}
