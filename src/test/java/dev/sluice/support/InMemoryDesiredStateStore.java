package dev.sluice.support;

import dev.sluice.query.DesiredState;
import dev.sluice.query.DesiredStateStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Desired states kept in memory, for tests of the manager without a database. */
public final class InMemoryDesiredStateStore implements DesiredStateStore {

    private final Map<String, DesiredState> states = new ConcurrentHashMap<>();

    @Override
    public Optional<DesiredState> load(String pipeline) {
        return Optional.ofNullable(states.get(pipeline));
    }

    @Override
    public void save(String pipeline, DesiredState state) {
        states.put(pipeline, state);
    }
}
