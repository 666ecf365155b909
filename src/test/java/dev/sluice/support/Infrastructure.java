package dev.sluice.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.awaitility.Awaitility;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The real components tests and the embedded default run against, each started once per JVM on
 * loopback: a KRaft Kafka broker, a PostgreSQL server (real binaries from Maven), and an HDFS
 * namenode with a datanode.
 */
public final class Infrastructure {

    private static EmbeddedKafkaBroker kafka;
    private static EmbeddedPostgres postgres;
    private static MiniDFSCluster hdfs;

    private Infrastructure() {}

    public static synchronized EmbeddedKafkaBroker kafka() {
        if (kafka == null) {
            EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3);
            broker.brokerProperties(Map.of(
                    "auto.create.topics.enable", "true",
                    "num.partitions", "3",
                    // One broker: transactional producers need their state log on it alone.
                    "transaction.state.log.replication.factor", "1",
                    "transaction.state.log.min.isr", "1"));
            broker.afterPropertiesSet();
            kafka = broker;
        }
        return kafka;
    }

    /**
     * Creates the topic with three partitions unless it exists, and returns once the broker names a
     * leader for each: a producer that asks for the topic's metadata sooner can find a partition
     * without one.
     */
    public static void ensureTopic(String topic) {
        try (AdminClient admin = AdminClient.create(Map.of("bootstrap.servers", kafka().getBrokersAsString()))) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Could not create topic " + topic, e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Could not create topic " + topic, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("Could not create topic " + topic, e);
            }
            Awaitility.await("a leader for every partition of " + topic)
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> everyPartitionLed(admin, topic));
        }
    }

    private static boolean everyPartitionLed(AdminClient admin, String topic) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .get(topic);
        return !description.partitions().isEmpty()
                && description.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    }

    public static synchronized EmbeddedPostgres postgres() {
        return postgres(0);
    }

    /** @param port a fixed port, or 0 for any free one */
    public static synchronized EmbeddedPostgres postgres(int port) {
        if (postgres == null) {
            try {
                EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
                if (port > 0) {
                    builder.setPort(port);
                }
                postgres = builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException("PostgreSQL did not start", e);
            }
        }
        return postgres;
    }

    public static String postgresUrl() {
        return postgres().getJdbcUrl("postgres", "postgres");
    }

    public static synchronized MiniDFSCluster hdfs() {
        if (hdfs == null) {
            try {
                File base = Files.createTempDirectory("sluice-hdfs").toFile();
                Configuration conf = new Configuration();
                conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
                hdfs = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).build();
                hdfs.waitActive();
            } catch (IOException e) {
                throw new UncheckedIOException("HDFS did not start", e);
            }
        }
        return hdfs;
    }

    /** {@code hdfs://127.0.0.1:port} of the test namenode. */
    public static String hdfsUri() {
        return "hdfs://127.0.0.1:" + hdfs().getNameNodePort();
    }
}
