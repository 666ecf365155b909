package dev.sluice.config;

import dev.sluice.definition.BuiltInDefinitions;
import dev.sluice.definition.PipelineDefinition;
import dev.sluice.pipeline.CarInfoLimits;
import dev.sluice.pipeline.WriteMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Everything Sluice reads under {@code sluice.*}. PostgreSQL itself is configured through the
 * standard {@code spring.datasource.*} properties.
 *
 * @param spark the embedded Spark driver
 * @param kafka the Kafka cluster the pipelines read from
 * @param checkpointRoot where query checkpoints live; each query uses {@code <root>/<name>}
 *     ({@code hdfs://...} in production, so a restarted driver resumes where it stopped)
 * @param postgres how the PostgreSQL sink writes
 * @param pipelines the built-in pipelines
 * @param security who may use the control API
 * @param restart how failed queries are restarted
 * @param stopTimeout how long a stop waits for the running micro-batch to finish before it
 *     interrupts it
 * @param monitoring how Sluice watches its own queries
 * @param deadLetters how long dead letters are kept
 * @param jit the JIT compilers while the service starts
 */
@Validated
@ConfigurationProperties("sluice")
public record SluiceProperties(
        @Valid @DefaultValue Spark spark,
        @Valid @DefaultValue Kafka kafka,
        @NotBlank @DefaultValue("./data/checkpoints") String checkpointRoot,
        @Valid @DefaultValue Postgres postgres,
        @Valid @DefaultValue Pipelines pipelines,
        @Valid @DefaultValue Security security,
        @Valid @DefaultValue Restart restart,
        @NotNull @DefaultValue("30s") Duration stopTimeout,
        @Valid @DefaultValue Monitoring monitoring,
        @Valid @DefaultValue DeadLetters deadLetters,
        @Valid @DefaultValue Jit jit) {

    /**
     * How Sluice watches its own queries.
     *
     * @param lagRefresh how often the latest Kafka offsets are read to compute every pipeline's
     *     lag, running or not (Spark commits no offsets to Kafka, so no other tool sees it)
     * @param staleAfter a running pipeline with records waiting but no progress for this long is
     *     reported unhealthy (readiness DOWN); keep it above the slowest pipeline's trigger plus
     *     batch time
     */
    public record Monitoring(
            @NotNull @DefaultValue("10s") Duration lagRefresh,
            @NotNull @DefaultValue("5m") Duration staleAfter) {}

    /**
     * Who may use the control API, in three roles: {@code viewer} reads, {@code operator} also
     * starts, stops and resets pipelines, {@code admin} also creates, changes and deletes
     * definitions and reads the audit trail. Callers present {@code Authorization: Bearer <token>}:
     * one of the role tokens, or (when {@code spring.security.oauth2.resourceserver.jwt.*} is set) a
     * JWT whose {@code jwt.rolesClaim} names the roles.
     *
     * @param apiToken an admin token (the single token of earlier releases; still honoured)
     * @param viewerTokens bearer tokens of the viewer role (from a Secret; comma-separated in the environment)
     * @param operatorTokens bearer tokens of the operator role
     * @param adminTokens bearer tokens of the admin role
     * @param jwt how a JWT's claims give roles
     * @param withoutCredentials who may call {@code /api/**} when no token and no JWT issuer is
     *     configured: {@code loopback} (clients on this host, as admin; the default), {@code everyone}
     *     (as admin; only behind a gateway that authenticates) or {@code nobody}
     */
    public record Security(
            String apiToken,
            @DefaultValue List<@NotBlank String> viewerTokens,
            @DefaultValue List<@NotBlank String> operatorTokens,
            @DefaultValue List<@NotBlank String> adminTokens,
            @Valid @DefaultValue Jwt jwt,
            @NotNull @DefaultValue("loopback") Anonymous withoutCredentials) {

        /** Whether any token is configured. */
        public boolean hasTokens() {
            return apiToken != null && !apiToken.isBlank()
                    || !viewerTokens.isEmpty()
                    || !operatorTokens.isEmpty()
                    || !adminTokens.isEmpty();
        }

        @Override
        public String toString() {
            return "Security[apiToken=" + (apiToken == null ? "unset" : "****") + ", viewerTokens="
                    + viewerTokens.size()
                    + ", operatorTokens=" + operatorTokens.size() + ", adminTokens=" + adminTokens.size() + ", jwt="
                    + jwt
                    + ", withoutCredentials=" + withoutCredentials + "]";
        }
    }

    /** Who may call the control API when no credential is configured. */
    public enum Anonymous {
        /** Clients on this host only, as admin. */
        LOOPBACK,
        /** Every client, as admin: only behind a gateway that authenticates callers. */
        EVERYONE,
        /** No client. */
        NOBODY
    }

    /**
     * How a JWT's claims give Sluice roles (the issuer and keys are Spring Security's
     * {@code spring.security.oauth2.resourceserver.jwt.*} settings).
     *
     * @param rolesClaim the claim holding the caller's roles (a string or a list of strings)
     * @param roles the claim values that give each role, for example {@code sluice-admins: admin};
     *     without any, the values {@code viewer}, {@code operator} and {@code admin} are the roles
     */
    public record Jwt(
            @NotBlank @DefaultValue("roles") String rolesClaim,
            @DefaultValue Map<String, String> roles) {}

    /**
     * How a failed query is restarted: after {@code initialBackoff}, then each wait
     * {@code multiplier} times longer, up to {@code maxBackoff}.
     *
     * @param enabled whether failed queries restart by themselves
     * @param initialBackoff the wait before the first restart
     * @param maxBackoff the longest wait between restarts
     * @param multiplier how much longer each wait is than the last
     * @param maxAttempts restarts in a row before giving up (0: never give up)
     */
    public record Restart(
            @DefaultValue("true") boolean enabled,
            @NotNull @DefaultValue("5s") Duration initialBackoff,
            @NotNull @DefaultValue("5m") Duration maxBackoff,
            @DefaultValue("2.0") @DecimalMin("1.0") double multiplier,
            @PositiveOrZero @DefaultValue("0") int maxAttempts) {}

    /**
     * The embedded Spark driver.
     *
     * @param master where Spark runs: {@code local[*]} in this JVM, {@code spark://host:7077} for a
     *     standalone cluster, {@code k8s://...} for Kubernetes executors
     * @param appName the Spark application name
     * @param config any other {@code spark.*} setting, passed through unchanged
     */
    public record Spark(
            @NotBlank @DefaultValue("local[*]") String master,
            @NotBlank @DefaultValue("sluice") String appName,
            @DefaultValue Map<String, String> config) {}

    /**
     * The Kafka cluster.
     *
     * @param bootstrapServers comma-separated {@code host:port} list
     * @param properties extra Kafka consumer settings (for example {@code security.protocol}),
     *     passed to the source as {@code kafka.<key>}
     */
    /**
     * The dead letters' upkeep.
     *
     * @param retention how long a dead letter is kept before it is deleted
     * @param purgeInterval how often dead letters past the retention are deleted
     */
    public record DeadLetters(
            @NotNull @DefaultValue("30d") Duration retention,
            @NotNull @DefaultValue("1h") Duration purgeInterval) {}

    /**
     * The JVM's JIT compilers, while the service starts.
     *
     * @param startDirectives whether the optimizing compiler (C2) leaves the code that runs only
     *     while the service starts (Spring, Spark's SQL parser, expression compilation, class
     *     loading; {@code jit-directives.json}) to the fast compiler (C1), so a cold start's CPU goes
     *     to the start and the first records; the code that runs each record is compiled as always.
     *     Applied as soon as the configuration is read, on HotSpot JVMs
     */
    public record Jit(@DefaultValue("true") boolean startDirectives) {}

    public record Kafka(
            @NotBlank @DefaultValue("127.0.0.1:9092") String bootstrapServers,
            @DefaultValue Map<String, String> properties) {}

    /**
     * How the PostgreSQL sink writes from Spark tasks.
     *
     * @param maxConnectionsPerExecutor the size of each executor's connection pool (one connection
     *     per concurrently written partition)
     * @param deadLetterTable the table that keeps records no pipeline could accept
     * @param writeMethod how rows reach the table or the staging table before the merge: {@code copy}
     *     (the fastest: the binary format where the table's column types take it), {@code copy-text}
     *     (the text format only, for a database that takes {@code COPY} but not its binary format) or
     *     {@code batch-insert} (for a database or proxy without {@code COPY FROM STDIN})
     * @param schema the schema of Sluice's own tables (control state, definitions, dead letters,
     *     audit trail, migration history), so a database with tables of its own is no obstacle;
     *     never a pipeline's sink
     * @param tablesSchema the schema of a sink table named without one
     * @param commitKeyedChunks whether a sink table with a key (upsert or insert-if-absent) takes
     *     each chunk of a partition's rows in a transaction of its own, so rows land within moments
     *     of a batch's start; a replayed batch writes the same keys again, to the same end. False:
     *     each partition in one transaction. A table without a key always takes one per partition
     */
    public record Postgres(
            @Positive @DefaultValue("4") int maxConnectionsPerExecutor,

            @NotBlank @Pattern(regexp = IDENTIFIER, message = IDENTIFIER_MESSAGE) @DefaultValue("dead_letter")
            String deadLetterTable,

            @NotNull @DefaultValue("copy") WriteMethod writeMethod,

            @NotBlank @Pattern(regexp = IDENTIFIER, message = IDENTIFIER_MESSAGE) @DefaultValue("sluice")
            String schema,

            @NotBlank @Pattern(regexp = IDENTIFIER, message = IDENTIFIER_MESSAGE) @DefaultValue("public")
            String tablesSchema,

            @DefaultValue("true") boolean commitKeyedChunks) {

        /** The dead-letter table, with its schema. */
        public String qualifiedDeadLetterTable() {
            return schema + "." + deadLetterTable;
        }

        @AssertTrue(message = "Sluice's schema must be a schema of its own, not public, pg_* or the tables' schema")
        public boolean isSchemaOwn() {
            return schema == null
                    || !(schema.equals("public") || schema.startsWith("pg_") || schema.equals(tablesSchema));
        }
    }

    /** A PostgreSQL name Sluice puts in SQL as it is: lower case, unquoted. */
    static final String IDENTIFIER = "[a-z_][a-z0-9_]{0,62}";

    static final String IDENTIFIER_MESSAGE = "must be a lower-case PostgreSQL name (letters, digits, _)";

    /**
     * The built-in pipelines.
     *
     * @param carInfoToPostgres car_info events into a PostgreSQL table
     * @param carInfoToHdfs car_info events into Parquet files
     * @param definitions pipelines defined as data, by name (see {@link PipelineDefinition});
     *     read-only over the API
     * @param fileRoots the folders (local paths or {@code hdfs://} URIs) under which pipelines
     *     defined over the API may read and write files; the checkpoints and the built-in Parquet
     *     folder are never among them
     */
    public record Pipelines(
            @Valid @DefaultValue CarInfoToPostgres carInfoToPostgres,
            @Valid @DefaultValue CarInfoToHdfs carInfoToHdfs,
            @DefaultValue Map<String, @Valid PipelineDefinition> definitions,
            @DefaultValue("./data/files") List<@NotBlank String> fileRoots) {}

    /**
     * The {@code car-info-to-postgres} pipeline.
     *
     * @param autoStart whether the query starts when the service starts
     * @param topic the Kafka topic to read
     * @param trigger the micro-batch interval
     * @param startingOffsets {@code earliest}, {@code latest} or Spark's JSON offsets; used only
     *     when the query has no checkpoint yet
     * @param maxOffsetsPerTrigger the most records one micro-batch reads (unset: no limit)
     * @param failOnDataLoss whether the query fails when Kafka has deleted offsets it had not read
     * @param table the PostgreSQL table the rows go to
     * @param validation the ranges an event must fall in; others go to the dead letters
     */
    public record CarInfoToPostgres(
            @DefaultValue("true") boolean autoStart,
            @NotBlank @DefaultValue("car_info") String topic,
            @NotNull @DefaultValue("1m") Duration trigger,
            @NotBlank @DefaultValue("earliest") String startingOffsets,
            @Positive Long maxOffsetsPerTrigger,
            @DefaultValue("true") boolean failOnDataLoss,
            @NotBlank @DefaultValue("car_info_table") String table,
            @Valid @DefaultValue Validation validation) {

        BuiltInDefinitions.Settings settings(String name) {
            return new BuiltInDefinitions.Settings(
                    name, autoStart, topic, startingOffsets, maxOffsetsPerTrigger, failOnDataLoss, trigger);
        }
    }

    /**
     * The {@code car-info-to-hdfs} pipeline.
     *
     * @param autoStart whether the query starts when the service starts
     * @param topic the Kafka topic to read
     * @param trigger the micro-batch interval
     * @param startingOffsets {@code earliest}, {@code latest} or Spark's JSON offsets; used only
     *     when the query has no checkpoint yet
     * @param maxOffsetsPerTrigger the most records one micro-batch reads (unset: no limit)
     * @param failOnDataLoss whether the query fails when Kafka has deleted offsets it had not read
     * @param path where the Parquet files go ({@code hdfs://namenode:8020/data/car_info} in
     *     production), partitioned by {@code event_date}
     * @param rowsPerFile the most rows a micro-batch puts in one Parquet file (per
     *     {@code event_date}); fewer rows make fewer files, never more than one per Kafka partition
     * @param validation the ranges an event must fall in; others go to the dead letters
     */
    public record CarInfoToHdfs(
            @DefaultValue("true") boolean autoStart,
            @NotBlank @DefaultValue("car_info") String topic,
            @NotNull @DefaultValue("5s") Duration trigger,
            @NotBlank @DefaultValue("earliest") String startingOffsets,
            @Positive Long maxOffsetsPerTrigger,
            @DefaultValue("true") boolean failOnDataLoss,
            @NotBlank @DefaultValue("./data/car_info") String path,
            @Positive @DefaultValue("250000") long rowsPerFile,
            @Valid @DefaultValue Validation validation) {

        BuiltInDefinitions.Settings settings(String name) {
            return new BuiltInDefinitions.Settings(
                    name, autoStart, topic, startingOffsets, maxOffsetsPerTrigger, failOnDataLoss, trigger);
        }
    }

    /**
     * The ranges a car_info event must fall in (an event without {@code dataId} is always rejected).
     *
     * @param minLatitude the southernmost accepted latitude
     * @param maxLatitude the northernmost accepted latitude
     * @param minLongitude the westernmost accepted longitude
     * @param maxLongitude the easternmost accepted longitude
     * @param minSpeed the lowest accepted speed
     * @param maxSpeed the highest accepted speed (unset: no limit)
     */
    public record Validation(
            @DefaultValue("-90") double minLatitude,
            @DefaultValue("90") double maxLatitude,
            @DefaultValue("-180") double minLongitude,
            @DefaultValue("180") double maxLongitude,
            @DefaultValue("0") double minSpeed,
            Double maxSpeed) {

        @AssertTrue(message = "each minimum must not be above its maximum")
        boolean isConsistent() {
            return minLatitude <= maxLatitude
                    && minLongitude <= maxLongitude
                    && (maxSpeed == null || minSpeed <= maxSpeed);
        }

        public CarInfoLimits limits() {
            return new CarInfoLimits(minLatitude, maxLatitude, minLongitude, maxLongitude, minSpeed, maxSpeed);
        }
    }
}
