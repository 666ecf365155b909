package dev.sluice.definition;

import dev.sluice.definition.DefinedPipeline.Origin;
import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.definition.PipelineDefinition.SinkKind;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.run.PipelineRuns;
import dev.sluice.run.RunStartException;
import dev.sluice.run.RunState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every pipeline the service knows, and the defined ones' life cycle: created, changed and removed
 * over the API (kept in PostgreSQL), or read from the configuration (read-only). Each definition is
 * checked by Spark before it is taken.
 */
public class PipelineCatalog {

    private static final Logger log = LoggerFactory.getLogger(PipelineCatalog.class);

    /**
     * @param stateful whether the query keeps state between micro-batches (true when unknown:
     *     a stored definition that no longer validates)
     */
    private record Entry(
            DefinedPipeline pipeline,
            List<MemoryTables.Column> columns,
            String ddl,
            boolean stateful,
            PipelineView.Engine engine) {}

    private final SparkSession spark;
    private final PipelineRuns manager;
    private final PipelineDefinitionStore store;
    private final PipelineEnvironment environment;
    private final DefinitionPlaces places;
    private final Map<String, Entry> defined = new ConcurrentHashMap<>();

    public PipelineCatalog(
            SparkSession spark,
            PipelineRuns manager,
            PipelineDefinitionStore store,
            PipelineEnvironment environment,
            DataSource dataSource,
            FileRoots fileRoots) {
        this.spark = spark;
        this.manager = manager;
        this.store = store;
        this.environment = environment;
        this.places = new DefinitionPlaces(environment, dataSource, fileRoots);
    }

    /**
     * Adds the configured definitions (an invalid one stops the service: configuration is checked
     * at boot) and the stored ones (an invalid one is added, and fails when started, with the reason),
     * taking Spark's part of the built-ins' checks from {@code prepared} where it can. Each built-in
     * is handed to {@code checked} as soon as it is checked, before the next one is.
     */
    public void load(
            List<DefinedPipeline> builtIns,
            Map<String, PipelineDefinition> configured,
            PreparedChecks prepared,
            Consumer<String> checked) {
        for (DefinedPipeline builtIn : builtIns) {
            // Registered with the manager as the service was wired; checked like any definition.
            Entry entry = check(builtIn.definition(), Origin.BUILT_IN, prepared);
            builtIn.planned(entry.pipeline().plannedShape());
            defined.put(
                    builtIn.name(), new Entry(builtIn, entry.columns(), entry.ddl(), entry.stateful(), entry.engine()));
            checked.accept(builtIn.name());
        }
        configured.forEach((key, definition) -> {
            if (definition.name() != null && !definition.name().equals(key)) {
                throw new IllegalStateException(
                        "sluice.pipelines.definitions." + key + " is named '" + definition.name() + "'");
            }
            if (!key.matches(PipelineDefinition.NAME_PATTERN)) {
                throw new IllegalStateException("sluice.pipelines.definitions." + key
                        + ": a pipeline name is lowercase letters, digits and dashes");
            }
            PipelineDefinition named = definition.named(key);
            Entry entry = check(named, Origin.CONFIGURATION);
            add(entry);
        });
        for (PipelineDefinition definition : store.loadAll()) {
            if (manager.names().contains(definition.name())) {
                log.error(
                        "Pipeline {} was created over the API, but the configuration now defines it too; the configuration's is used",
                        definition.name());
                continue;
            }
            Entry entry;
            try {
                entry = check(definition, Origin.API);
            } catch (InvalidDefinitionException e) {
                log.error("{} It stays defined; it fails when started until it is changed.", e.getMessage());
                entry = new Entry(new DefinedPipeline(definition, Origin.API, environment, e), null, null, true, null);
            }
            add(entry);
        }
    }

    public List<PipelineView> list() {
        return manager.names().stream().map(this::view).toList();
    }

    public PipelineView get(String name) {
        manager.pipeline(name);
        return view(name);
    }

    /** Checks a definition as {@link #create} would, without creating it. */
    public PipelineView dryRun(PipelineDefinition definition) {
        Entry entry = check(requireName(definition), Origin.API);
        return view(entry, RunState.STOPPED);
    }

    public synchronized PipelineView create(PipelineDefinition definition) {
        String name = requireName(definition).name();
        if (manager.names().contains(name)) {
            throw new PipelineConflictException(name, "exists", "A pipeline named '" + name + "' already exists");
        }
        Entry entry = check(definition, Origin.API);
        store.insert(definition);
        add(entry);
        log.info("Created pipeline {}", name);
        if (definition.autoStart()) {
            startQuietly(name);
        }
        return view(name);
    }

    /**
     * Replaces a stopped API pipeline's definition. A change Spark cannot resume from the checkpoint
     * is refused, unless {@code resetCheckpoint}: then the checkpoint is deleted first.
     */
    public synchronized PipelineView update(String name, PipelineDefinition definition, boolean resetCheckpoint) {
        Entry current = editable(name);
        if (definition.name() != null && !definition.name().equals(name)) {
            throw new InvalidDefinitionException(
                    name,
                    List.of(new DefinitionProblem(
                            "name",
                            "is '" + definition.name() + "' but the path names '" + name
                                    + "'; a pipeline cannot be renamed")));
        }
        RunState state = manager.state(name);
        if (state != RunState.STOPPED && state != RunState.FAILED) {
            throw new PipelineConflictException(
                    name,
                    "running",
                    "Pipeline '" + name + "' must be stopped before it is changed (it is " + state + ")");
        }
        PipelineDefinition next = definition.named(name);
        Entry entry = check(next, Origin.API);
        if (manager.hasCommitted(name)) {
            PipelineDefinition old = current.pipeline().definition();
            List<String> breaks = CheckpointCompatibility.changes(old, next, current.stateful() || entry.stateful());
            if (!breaks.isEmpty()) {
                if (!resetCheckpoint) {
                    throw new PipelineConflictException(
                            name,
                            "checkpoint-incompatible",
                            "The change cannot resume from the checkpoint of '" + name + "': "
                                    + String.join("; ", breaks) + ". Ask for resetCheckpoint=true to start it afresh");
                }
                Sink oldSink = old.sink();
                if (oldSink.isFiles()
                        && next.sink().isFiles()
                        && Objects.equals(oldSink.path(), next.sink().path())) {
                    throw new PipelineConflictException(
                            name,
                            "checkpoint-incompatible",
                            current.pipeline().resetRefusal().orElseThrow());
                }
                manager.deleteCheckpoint(name);
                log.info("Deleted the checkpoint of pipeline {} for its new definition", name);
            }
        }
        store.update(next);
        current.pipeline().discard();
        manager.replace(entry.pipeline());
        defined.put(name, entry);
        log.info("Changed pipeline {}", name);
        return view(name);
    }

    /** Stops (if it runs) and removes an API pipeline; its checkpoint too, when asked. */
    public synchronized void delete(String name, boolean deleteCheckpoint) {
        Entry entry = editable(name);
        RunState state = manager.state(name);
        if (state == RunState.RUNNING
                || state == RunState.FAILED && manager.status(name).restart() != null) {
            manager.stop(name);
        }
        if (deleteCheckpoint) {
            manager.deleteCheckpoint(name);
        }
        manager.unregister(name);
        store.delete(name);
        defined.remove(name);
        entry.pipeline().discard();
        log.info("Deleted pipeline {}{}", name, deleteCheckpoint ? " and its checkpoint" : "");
    }

    private Entry editable(String name) {
        Pipeline pipeline = manager.pipeline(name);
        Entry entry = defined.get(name);
        if (entry == null || entry.pipeline().origin() != Origin.API || pipeline != entry.pipeline()) {
            throw new PipelineConflictException(
                    name,
                    "read-only",
                    "Pipeline '" + name + "' is "
                            + (entry == null || entry.pipeline().origin() == Origin.BUILT_IN
                                    ? "built in"
                                    : "defined in the configuration")
                            + "; only pipelines created over the API can be changed");
        }
        return entry;
    }

    private void add(Entry entry) {
        manager.register(entry.pipeline());
        defined.put(entry.pipeline().name(), entry);
    }

    private void startQuietly(String name) {
        try {
            manager.start(name);
        } catch (RunStartException e) {
            // The status says why; the pipeline exists either way.
        }
    }

    private static PipelineDefinition requireName(PipelineDefinition definition) {
        if (definition.name() == null || definition.name().isBlank()) {
            throw new InvalidDefinitionException("(unnamed)", List.of(new DefinitionProblem("name", "is required")));
        }
        return definition;
    }

    private Entry check(PipelineDefinition definition, Origin origin) {
        return check(definition, origin, PreparedChecks.none());
    }

    /** Where it may write, Spark's checks (made ahead, or now), then the sink's table. */
    private Entry check(PipelineDefinition definition, Origin origin, PreparedChecks prepared) {
        PipelinePlanner.Plan plan = PipelinePlanner.validate(
                spark, definition, environment, checked -> places.problems(checked, origin), prepared);
        String ddl = null;
        Sink sink = definition.sink();
        if (sink.kind() == SinkKind.POSTGRES) {
            ddl = PostgresTables.ddl(sink.table(), plan.schema(), sink.keyColumns());
            List<DefinitionProblem> problems = places.tableProblems(definition, plan, ddl);
            if (!problems.isEmpty()) {
                throw new InvalidDefinitionException(definition.name(), problems);
            }
        }
        List<MemoryTables.Column> columns = new ArrayList<>();
        for (StructField field : plan.schema().fields()) {
            columns.add(new MemoryTables.Column(field.name(), field.dataType().simpleString()));
        }
        FusedShape.Decision shape = plan.shape();
        DefinedPipeline pipeline = new DefinedPipeline(definition, origin, environment);
        pipeline.planned(shape);
        return new Entry(
                pipeline,
                columns,
                ddl,
                plan.stateful(),
                new PipelineView.Engine(shape.shape(), shape.generalBecause()));
    }

    private PipelineView view(String name) {
        Entry entry = defined.get(name);
        RunState state = manager.state(name);
        if (entry == null || manager.pipeline(name) != entry.pipeline()) {
            return new PipelineView(name, "built-in", false, state, null, null, null, null);
        }
        return view(entry, state);
    }

    private static PipelineView view(Entry entry, RunState state) {
        DefinedPipeline pipeline = entry.pipeline();
        return new PipelineView(
                pipeline.name(),
                switch (pipeline.origin()) {
                    case API -> "api";
                    case CONFIGURATION -> "configuration";
                    case BUILT_IN -> "built-in";
                },
                pipeline.origin() == Origin.API,
                state,
                pipeline.definition(),
                entry.columns(),
                entry.ddl(),
                entry.engine());
    }
}
