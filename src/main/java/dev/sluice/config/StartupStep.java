package dev.sluice.config;

import org.springframework.context.SmartLifecycle;

/**
 * Work that belongs to the service's start, not to its wiring (reading the catalog, reaching the
 * brokers, starting the pipelines): beans are built first, then these run in {@code phase} order,
 * before the web server takes requests.
 */
final class StartupStep implements SmartLifecycle {

    /** Before the web server (whose phase is just under {@code Integer.MAX_VALUE}). */
    static final int BEFORE_WEB_SERVER = 0;

    /**
     * The start of the pipelines not started as they were checked: after every step before the
     * web server, and still before it.
     */
    static final int PIPELINES = BEFORE_WEB_SERVER + 1;

    private final int phase;
    private final Runnable start;
    private final Runnable stop;
    private volatile boolean running;

    StartupStep(int phase, Runnable start, Runnable stop) {
        this.phase = phase;
        this.start = start;
        this.stop = stop;
    }

    @Override
    public void start() {
        start.run();
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        stop.run();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return phase;
    }
}
