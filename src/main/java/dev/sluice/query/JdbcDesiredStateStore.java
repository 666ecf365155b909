package dev.sluice.query;

import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Desired states in the {@code pipeline_control} table. */
@Repository
class JdbcDesiredStateStore implements DesiredStateStore {

    private final JdbcTemplate jdbc;

    JdbcDesiredStateStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public Optional<DesiredState> load(String pipeline) {
        List<String> states = jdbc.queryForList(
                "SELECT desired_state FROM pipeline_control WHERE pipeline = ?", String.class, pipeline);
        return states.stream().findFirst().map(DesiredState::valueOf);
    }

    @Override
    public void save(String pipeline, DesiredState state) {
        jdbc.update("INSERT INTO pipeline_control (pipeline, desired_state, updated_at) VALUES (?, ?, now())"
                + " ON CONFLICT (pipeline) DO UPDATE SET desired_state = EXCLUDED.desired_state, updated_at = now()",
                pipeline, state.name());
    }
}
