package dev.sluice.config;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one Spark driver of this service. Where it runs is configuration ({@code sluice.spark.master}). */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SluiceProperties.class)
class SparkConfiguration {

    @Bean(destroyMethod = "stop")
    SparkSession sparkSession(SluiceProperties properties) {
        SluiceProperties.Spark spark = properties.spark();
        SparkConf conf = new SparkConf()
                .set("spark.master", spark.master())
                .setAppName(spark.appName());
        spark.config().forEach(conf::set);
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
