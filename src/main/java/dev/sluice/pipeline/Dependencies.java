package dev.sluice.pipeline;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Short probes of what pipelines depend on: whether it answers now. */
public final class Dependencies {

    /** How long a probe waits for an answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private Dependencies() {}

    /** Whether the PostgreSQL server takes a connection and answers on it. */
    public static boolean postgresAnswers(JdbcTarget target) {
        Properties properties = new Properties();
        if (target.username() != null) {
            properties.setProperty("user", target.username());
        }
        if (target.password() != null) {
            properties.setProperty("password", target.password());
        }
        String seconds = Long.toString(TIMEOUT.toSeconds());
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("socketTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        try (Connection connection = DriverManager.getConnection(target.url(), properties)) {
            return connection.isValid((int) TIMEOUT.toSeconds());
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /** Whether a Kafka broker of the cluster answers. */
    public static boolean kafkaAnswers(String bootstrapServers, Map<String, String> kafkaProperties) {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, kafkaProperties, "sluice-probe", TIMEOUT))) {
            return !admin.describeCluster()
                    .nodes()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .isEmpty();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    /** An admin client's settings: the service's Kafka settings, the brokers, a client id, bounded calls. */
    public static Properties adminProperties(
            String bootstrapServers, Map<String, String> kafkaProperties, String clientId, Duration timeout) {
        Properties properties = new Properties();
        properties.putAll(kafkaProperties);
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return properties;
    }
}
