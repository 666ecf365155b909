package dev.sluice.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.RunState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole service against a real Kafka broker, PostgreSQL and HDFS, all on loopback. Every
 * integration test shares this one application context (and so one Spark driver); each pipeline
 * reads its own topic, and every test leaves the pipelines stopped. Metrics are exported as in
 * production, so tests can read {@code /actuator/prometheus}.
 */
@AutoConfigureObservability
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "server.address=127.0.0.1",
            "sluice.spark.master=local[2]",
            "sluice.spark.config.spark.driver.host=127.0.0.1",
            "sluice.spark.config.spark.driver.bindAddress=127.0.0.1",
            "sluice.spark.config.spark.sql.shuffle.partitions=2",
            "sluice.pipelines.car-info-to-postgres.auto-start=false",
            "sluice.pipelines.car-info-to-postgres.topic=" + IntegrationTest.POSTGRES_TOPIC,
            "sluice.pipelines.car-info-to-postgres.trigger=1s",
            "sluice.pipelines.car-info-to-hdfs.auto-start=false",
            "sluice.pipelines.car-info-to-hdfs.topic=" + IntegrationTest.HDFS_TOPIC,
            "sluice.pipelines.car-info-to-hdfs.trigger=1s",
            "sluice.restart.initial-backoff=500ms",
            "sluice.restart.max-backoff=2s",
            "sluice.monitoring.lag-refresh=1s",
        })
public abstract class IntegrationTest {

    public static final String POSTGRES_TOPIC = "it_car_info_postgres";
    public static final String HDFS_TOPIC = "it_car_info_hdfs";
    public static final String POSTGRES_PIPELINE = "car-info-to-postgres";
    public static final String HDFS_PIPELINE = "car-info-to-hdfs";
    public static final Duration DEADLINE = Duration.ofSeconds(120);

    @Autowired
    protected TestRestTemplate rest;

    @Autowired
    protected JdbcTemplate jdbc;

    @Autowired
    protected PipelineRuns manager;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        Infrastructure.ensureTopic(POSTGRES_TOPIC);
        Infrastructure.ensureTopic(HDFS_TOPIC);
        registry.add(
                "sluice.kafka.bootstrap-servers", () -> Infrastructure.kafka().getBrokersAsString());
        registry.add("spring.datasource.url", Infrastructure::postgresUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
        registry.add("sluice.checkpoint-root", () -> Infrastructure.hdfsUri() + "/sluice/checkpoints");
        // Tests keep their files in temporary folders; the OpenAPI examples name the default root.
        registry.add("sluice.pipelines.file-roots", () -> System.getProperty("java.io.tmpdir") + ",./data/files");
        registry.add("sluice.pipelines.car-info-to-hdfs.path", () -> Infrastructure.hdfsUri() + "/data/car_info");
    }

    private final List<String> createdPipelines = new ArrayList<>();

    @AfterEach
    void deleteCreatedPipelines() {
        for (String name : createdPipelines) {
            rest.delete("/api/pipelines/" + name + "?deleteCheckpoint=true");
        }
    }

    /**
     * Creates a pipeline over the API from a definition (an object or its JSON text), expects it
     * created and running, and deletes it with its checkpoint after the test.
     */
    protected void createRunning(Object definition) {
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_JSON);
        ResponseEntity<JsonNode> response =
                rest.postForEntity("/api/pipelines", new HttpEntity<>(definition, headers), JsonNode.class);
        assertThat(response.getStatusCode()).as("%s", response.getBody()).isEqualTo(HttpStatus.CREATED);
        createdPipelines.add(response.getBody().path("name").asText());
        assertThat(response.getBody().path("state").asText()).isEqualTo("RUNNING");
    }

    /**
     * The arguments of a packaged service on this test's broker and a database of its own:
     * checkpoints under {@code work}, both built-ins on {@code topic}, then {@code more}.
     */
    protected static List<String> serviceArguments(String databaseUrl, Path work, String topic, String... more) {
        List<String> arguments = new ArrayList<>(List.of(
                "--spring.datasource.url=" + databaseUrl,
                "--spring.datasource.username=postgres",
                "--sluice.kafka.bootstrap-servers=" + Infrastructure.kafka().getBrokersAsString(),
                "--sluice.checkpoint-root=" + work.resolve("checkpoints").toUri(),
                "--sluice.pipelines.car-info-to-postgres.topic=" + topic,
                "--sluice.pipelines.car-info-to-hdfs.topic=" + topic));
        arguments.addAll(List.of(more));
        return arguments;
    }

    /** The JDBC URL of the database {@code name} on the tests' PostgreSQL server. */
    protected static String databaseUrl(String name) {
        return "jdbc:postgresql://127.0.0.1:" + Infrastructure.postgres().getPort() + "/" + name;
    }

    /** A new, empty database {@code name} on the tests' PostgreSQL server, and a template on it. */
    protected static JdbcTemplate newDatabase(String name) {
        new JdbcTemplate(new DriverManagerDataSource(databaseUrl("postgres"), "postgres", "postgres"))
                .execute("CREATE DATABASE " + name);
        return new JdbcTemplate(new DriverManagerDataSource(databaseUrl(name), "postgres", "postgres"));
    }

    /** A new topic of its own for one test, named {@code it_<prefix>_<random>}. */
    protected static String newTopic(String prefix) {
        String topic = "it_" + prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
        Infrastructure.ensureTopic(topic);
        return topic;
    }

    @AfterEach
    void leavePipelinesStopped() {
        for (String name : List.of(POSTGRES_PIPELINE, HDFS_PIPELINE)) {
            if (manager.status(name).state() == RunState.RUNNING) {
                manager.stop(name);
            }
        }
    }

    /** Sends the values, without keys, and returns where each landed, in order. */
    protected static List<RecordMetadata> produce(String topic, List<byte[]> values) {
        return produce(topic, Collections.nCopies(values.size(), null), values);
    }

    /** Sends the values with the keys (null for none), and returns where each landed, in order. */
    protected static List<RecordMetadata> produce(String topic, List<byte[]> keys, List<byte[]> values) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                Infrastructure.kafka().getBrokersAsString(),
                ProducerConfig.ACKS_CONFIG,
                "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i))));
            }
            List<RecordMetadata> landed = new ArrayList<>();
            for (Future<RecordMetadata> future : sent) {
                landed.add(future.get());
            }
            return landed;
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("Kafka did not take the records", e);
        }
    }

    /** Every record on the topic now, from the beginning; gives up after ten seconds. */
    protected static List<ConsumerRecord<byte[], byte[]>> consume(String topic) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Infrastructure.kafka().getBrokersAsString());
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    protected ResponseEntity<JsonNode> post(String path) {
        return rest.postForEntity(path, null, JsonNode.class);
    }

    protected ResponseEntity<JsonNode> get(String path) {
        return rest.getForEntity(path, JsonNode.class);
    }
}
