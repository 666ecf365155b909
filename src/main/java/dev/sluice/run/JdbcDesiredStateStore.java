package dev.sluice.run;

import dev.sluice.pipeline.StartingPoint;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Desired states and reset starting points in the {@code pipeline_control} table. */
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
        jdbc.update(
                "INSERT INTO pipeline_control (pipeline, desired_state, updated_at) VALUES (?, ?, now())"
                        + " ON CONFLICT (pipeline) DO UPDATE SET desired_state = EXCLUDED.desired_state, updated_at = now()",
                pipeline,
                state.name());
    }

    @Override
    public Optional<StartingPoint> nextStart(String pipeline) {
        List<String> points = jdbc.queryForList(
                "SELECT next_start FROM pipeline_control WHERE pipeline = ? AND next_start IS NOT NULL",
                String.class,
                pipeline);
        return points.stream().findFirst().map(StartingPoint::decode);
    }

    @Override
    public void saveNextStart(String pipeline, StartingPoint from) {
        jdbc.update(
                "INSERT INTO pipeline_control (pipeline, desired_state, next_start, updated_at) VALUES (?, 'STOPPED', ?, now())"
                        + " ON CONFLICT (pipeline) DO UPDATE SET next_start = EXCLUDED.next_start, updated_at = now()",
                pipeline,
                from == null ? null : from.encode());
    }

    @Override
    public void delete(String pipeline) {
        jdbc.update("DELETE FROM pipeline_control WHERE pipeline = ?", pipeline);
    }
}
