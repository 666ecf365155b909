package dev.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.query.QueryState;
import dev.sluice.query.QueryStatus;
import dev.sluice.support.CarInfoEvent;
import dev.sluice.support.Infrastructure;
import dev.sluice.support.IntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * PostgreSQL goes away mid-stream, for longer than a trigger, and comes back: the query fails,
 * restarts by itself with a growing backoff, and loses nothing. The outage is made by refusing
 * every connection to the database and ending every open session, which is what the service
 * sees when the server is down.
 */
class DatabaseOutageIT extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutageIT.class);

    @Test
    void theQueryRecoversByItselfAfterTheDatabaseComesBackAndNothingIsLost() {
        String run = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        List<CarInfoEvent> before = CarInfoPostgresIT.events(run, 0, 300);
        produce(POSTGRES_TOPIC, CarInfoPostgresIT.json(before));
        manager.start(POSTGRES_PIPELINE);
        await().atMost(DEADLINE).until(() -> rowCount(run) == before.size());

        JdbcTemplate admin = new JdbcTemplate(new DriverManagerDataSource(
                Infrastructure.postgres().getJdbcUrl("postgres", "template1"), "postgres", "postgres"));
        List<QueryState> seen = new ArrayList<>();
        Instant back;
        try {
            admin.execute("ALTER DATABASE postgres ALLOW_CONNECTIONS false");
            admin.queryForList("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'postgres'");
            produce(POSTGRES_TOPIC, CarInfoPostgresIT.json(CarInfoPostgresIT.events(run, 300, 300)));

            await().atMost(DEADLINE).until(() -> {
                QueryStatus status = manager.status(POSTGRES_PIPELINE);
                seen.add(status.state());
                return status.restart() != null && status.restart().attempt() >= 3;
            });
            QueryStatus down = manager.status(POSTGRES_PIPELINE);
            assertThat(seen).contains(QueryState.FAILED);
            assertThat(down.failure()).isNotNull();
            log.info("While the database is down: {} (attempt {}, next at {}): {}", down.state(),
                    down.restart().attempt(), down.restart().nextAttemptAt(), down.failure().message());
        } finally {
            admin.execute("ALTER DATABASE postgres ALLOW_CONNECTIONS true");
            back = Instant.now();
        }

        await().atMost(DEADLINE).until(() -> rowCount(run) == 600
                && manager.status(POSTGRES_PIPELINE).state() == QueryState.RUNNING);
        Duration recovery = Duration.between(back, Instant.now());
        log.info("Recovered {} ms after the database came back", recovery.toMillis());
        assertThat(jdbc.queryForObject("SELECT count(DISTINCT data_id) FROM car_info_table WHERE data_id LIKE ?",
                Long.class, run + "%")).isEqualTo(600);
        await().atMost(DEADLINE).until(() -> manager.status(POSTGRES_PIPELINE).restart() == null);
    }

    private long rowCount(String run) {
        try {
            return jdbc.queryForObject("SELECT count(*) FROM car_info_table WHERE data_id LIKE ?", Long.class, run + "%");
        } catch (org.springframework.dao.DataAccessException e) {
            return -1;
        }
    }
}
