package dev.sluice.support;

import dev.sluice.pipeline.StartingPoint;
import dev.sluice.run.DesiredState;
import dev.sluice.run.DesiredStateStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Desired states kept in memory, for tests of the manager without a database. */
public final class InMemoryDesiredStateStore implements DesiredStateStore {

    private final Map<String, DesiredState> states = new ConcurrentHashMap<>();
    private final Map<String, StartingPoint> nextStarts = new ConcurrentHashMap<>();

    @Override
    public Optional<DesiredState> load(String pipeline) {
        return Optional.ofNullable(states.get(pipeline));
    }

    @Override
    public void save(String pipeline, DesiredState state) {
        states.put(pipeline, state);
    }

    @Override
    public Optional<StartingPoint> nextStart(String pipeline) {
        return Optional.ofNullable(nextStarts.get(pipeline));
    }

    @Override
    public void saveNextStart(String pipeline, StartingPoint from) {
        if (from == null) {
            nextStarts.remove(pipeline);
        } else {
            nextStarts.put(pipeline, from);
        }
    }

    @Override
    public void delete(String pipeline) {
        states.remove(pipeline);
        nextStarts.remove(pipeline);
    }
}
