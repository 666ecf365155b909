package dev.sluice.config;

import dev.sluice.definition.DefinedPipeline;
import dev.sluice.pipeline.CarInfoParser;
import dev.sluice.pipeline.FusedRecords;
import dev.sluice.pipeline.PostgresSink;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.FileSystemUtils;

/**
 * The work of the run that trains the image's class-data archive ({@code train-class-data.sh}
 * starts the service with {@code -Dspring.context.exit=onRefresh}, which ends it once the context
 * is refreshed, before any pipeline runs): the built-in pipelines are planned, and a sample event
 * decided as a task decides it, one micro-batch of Spark's rate source runs, a Kafka consumer is
 * made (never connected), and the classes a real start loads later ({@link #START_CLASSES}: Kafka's
 * client as the first micro-batch runs, Flyway, the PostgreSQL driver) are loaded, so the classes of
 * Spark's planner, of a micro-batch, of the fused path and of the first micro-batch's clients are in
 * the archive too, and a real start maps them from there. Reaches no database and no broker;
 * a failure is logged and leaves the archive smaller, never the image unbuilt.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.context.exit", havingValue = "onRefresh")
class ClassDataTraining {

    private static final Logger log = LoggerFactory.getLogger(ClassDataTraining.class);

    private static final byte[] SAMPLE_KEY = "T00001".getBytes(StandardCharsets.UTF_8);

    /** Where a decided row holds the reason it was rejected for: null for an accepted record. */
    private static final int REJECT_REASON = PostgresSink.INPUT_COLUMNS.indexOf(CarInfoParser.REJECT_REASON);

    private static final byte[] SAMPLE = ("{\"dataId\":\"training-1\",\"trmnId\":\"T00001\",\"vhcleLot\":126.9,"
                    + "\"vhcleLat\":37.5,\"gpsUtcTime\":1764460800.0,\"vhcleSped\":42.5,\"vhcleTypeCd\":\"11\"}")
            .getBytes(StandardCharsets.UTF_8);

    /**
     * The classes a start loads after the steps below, or only with a broker and a database (one
     * binary name a line; lines starting with {@code #} are comments): see the file for how it is
     * made.
     */
    static final String START_CLASSES = "/class-data/start-classes.txt";

    @Bean
    SmartInitializingSingleton classDataTrainingWorkload(SparkSession spark, List<DefinedPipeline> builtIns) {
        return () -> {
            runOneStreamingBatch(spark);
            try {
                StartClasses loaded = loadStartClasses(ClassDataTraining.class.getClassLoader());
                log.info("Class-data training loaded {} classes a start loads later", loaded.loaded());
                if (!loaded.unresolved().isEmpty()) {
                    log.warn(
                            "Class-data training: {} listed classes no longer resolve (list them again, as {} says),"
                                    + " the first: {}",
                            loaded.unresolved().size(),
                            START_CLASSES,
                            loaded.unresolved().get(0));
                }
            } catch (IOException e) {
                log.warn("Class-data training: no list of the classes a start loads later: {}", e.toString());
            }
            try {
                new KafkaConsumer<>(
                                Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"),
                                new ByteArrayDeserializer(),
                                new ByteArrayDeserializer())
                        .close(Duration.ZERO);
            } catch (RuntimeException e) {
                log.warn("Class-data training: no Kafka consumer: {}", e.toString());
            }
            for (String problem : planPipelines(spark, builtIns)) {
                log.warn("Class-data training: {}", problem);
            }
        };
    }

    /**
     * Plans each pipeline as its start does and, for one on the fused path, decides the sample
     * event as a task decides it: the classes and compiled code of both are then in the archive.
     *
     * @return what went wrong, one line per pipeline; empty when every one was planned and the
     *     sample event accepted
     */
    static List<String> planPipelines(SparkSession spark, List<DefinedPipeline> pipelines) {
        List<String> problems = new ArrayList<>();
        for (DefinedPipeline pipeline : pipelines) {
            try {
                pipeline.validate(spark);
                FusedRecords fused = pipeline.fusedRecords(spark);
                if (fused != null) {
                    InternalRow record = FusedRecords.record("car_info", 0, 0L, 0L, SAMPLE_KEY, SAMPLE);
                    List<Row> decided = new ArrayList<>();
                    fused.decideAll(List.of(record).iterator()).forEachRemaining(decided::add);
                    if (decided.size() != 1 || !decided.get(0).isNullAt(REJECT_REASON)) {
                        problems.add("pipeline " + pipeline.name() + " did not accept the sample event: " + decided);
                    }
                }
            } catch (RuntimeException e) {
                problems.add("pipeline " + pipeline.name() + " could not be planned: " + e);
            }
        }
        return problems;
    }

    /**
     * A streaming query of Spark's rate source, run for one batch into a throw-away checkpoint: the
     * classes of a micro-batch's life (offset log, planning, tasks) are loaded.
     */
    private static void runOneStreamingBatch(SparkSession spark) {
        Path checkpoint = null;
        try {
            checkpoint = Files.createTempDirectory("sluice-class-data");
            StreamingQuery query = spark.readStream()
                    .format("rate")
                    .option("rowsPerSecond", "100")
                    .load()
                    .writeStream()
                    .option("checkpointLocation", checkpoint.toUri().toString())
                    .trigger(Trigger.ProcessingTime(2_000))
                    .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> batch.queryExecution()
                            .toRdd()
                            .toJavaRDD()
                            .mapPartitions(rows -> {
                                long count = 0;
                                while (rows.hasNext()) {
                                    rows.next();
                                    count++;
                                }
                                return List.of(count).iterator();
                            })
                            .collect())
                    .start();
            try {
                // Stopped between two triggers, once a batch with rows is done: never in a batch's write.
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline
                        && (query.lastProgress() == null
                                || query.lastProgress().numInputRows() == 0
                                || query.status().isTriggerActive())) {
                    query.awaitTermination(50);
                }
            } finally {
                query.stop();
            }
        } catch (Exception e) {
            log.warn("Class-data training: no streaming batch: {}", e.toString());
        } finally {
            if (checkpoint != null) {
                FileSystemUtils.deleteRecursively(checkpoint.toFile());
            }
        }
    }

    /** What {@link #loadStartClasses} did: classes loaded, and the names that did not resolve. */
    record StartClasses(int loaded, List<String> unresolved) {}

    /** Loads, without initializing them, the classes of {@link #START_CLASSES}. */
    static StartClasses loadStartClasses(ClassLoader loader) throws IOException {
        int loaded = 0;
        List<String> unresolved = new ArrayList<>();
        for (String name : startClasses()) {
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                unresolved.add(name);
            }
        }
        return new StartClasses(loaded, unresolved);
    }

    /** The binary names {@link #START_CLASSES} lists. */
    static List<String> startClasses() throws IOException {
        try (InputStream list = ClassDataTraining.class.getResourceAsStream(START_CLASSES)) {
            if (list == null) {
                throw new FileNotFoundException(START_CLASSES);
            }
            return new String(list.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .toList();
        }
    }
}
