package dev.sluice.definition;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A streaming query described as data: where records come from, the Spark SQL that transforms
 * them, where the result goes, in which output mode and on which trigger. Bound from
 * {@code sluice.pipelines.definitions.<name>} and read from the {@code /api/pipelines} JSON alike.
 *
 * <p>The source's records are parsed with its schema; records that do not parse, or break a
 * {@link Rule}, go to the dead letters with a reason. The accepted ones, with an
 * {@code event_time} column when {@link Transform#eventTime()} is set, are the view
 * {@value #EVENTS_VIEW} that {@link Transform#sql()} reads.
 *
 * @param name the pipeline's name (lowercase letters, digits and dashes); in configuration, the key
 * @param description what the pipeline is for
 * @param autoStart whether the service starts it at boot (and when it is created)
 * @param source where the records come from
 * @param transform what is done with them; unset: every accepted record as it is
 * @param sink where the result goes
 * @param outputMode which result rows each trigger writes
 * @param trigger when micro-batches run
 * @param rules conditions every accepted record meets; the others go to the dead letters (each is
 *     an expectation that quarantines, named by its reason)
 * @param expectations conditions every record should meet, each with what happens to a record
 *     that does not (warn, drop, quarantine, fail); checked after the rules
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PipelineDefinition(
        @Pattern(
                regexp = NAME_PATTERN,
                message =
                        "must be lowercase letters, digits and dashes, starting with a letter or digit, at most 63 characters")
        String name,

        String description,
        Boolean autoStart,
        @NotNull @Valid Source source,
        @Valid Transform transform,
        @NotNull @Valid Sink sink,
        OutputMode outputMode,
        @Valid Trigger trigger,
        List<@Valid @NotNull Rule> rules,
        List<@Valid @NotNull Expectation> expectations) {

    public static final String NAME_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";
    public static final String EVENTS_VIEW = "events";
    public static final String EVENT_TIME = "event_time";

    public PipelineDefinition {
        autoStart = autoStart != null && autoStart;
        transform = transform == null ? new Transform(null, null, null, null) : transform;
        outputMode = outputMode == null ? OutputMode.APPEND : outputMode;
        trigger = trigger == null ? new Trigger(null, null) : trigger;
        rules = rules == null ? List.of() : List.copyOf(rules);
        expectations = expectations == null ? List.of() : List.copyOf(expectations);
    }

    /** The rules, as the expectations that quarantine, then the expectations: what every record is checked for. */
    @JsonIgnore
    public List<Expectation> checks() {
        List<Expectation> checks = new ArrayList<>();
        rules.forEach(rule -> checks.add(Expectation.of(rule)));
        checks.addAll(expectations);
        return checks;
    }

    /** The same definition under another name. */
    public PipelineDefinition named(String newName) {
        return new PipelineDefinition(
                newName, description, autoStart, source, transform, sink, outputMode, trigger, rules, expectations);
    }

    public enum SourceKind {
        @JsonProperty("kafka")
        KAFKA,
        @JsonProperty("file")
        FILE,
        @JsonProperty("rate")
        RATE
    }

    /** What Kafka tells about a record besides its value, for {@code source.metadata}. */
    public enum RecordMetadata {
        /** The record's topic (a string). */
        @JsonProperty("topic")
        TOPIC,
        /** The record's partition (an int). */
        @JsonProperty("partition")
        PARTITION,
        /** The record's offset in its partition (a bigint). */
        @JsonProperty("offset")
        OFFSET,
        /** The record's Kafka timestamp (a timestamp). */
        @JsonProperty("timestamp")
        TIMESTAMP,
        /** The record's key (binary, null for none; {@code CAST(k AS STRING)} for a text key). */
        @JsonProperty("key")
        KEY;

        /** The column of a Kafka record that holds it, as Spark's kafka source names it. */
        public String column() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum RecordFormat {
        @JsonProperty("json")
        JSON,
        @JsonProperty("csv")
        CSV,
        @JsonProperty("text")
        TEXT,
        @JsonProperty("parquet")
        PARQUET
    }

    public enum SinkKind {
        @JsonProperty("postgres")
        POSTGRES,
        @JsonProperty("parquet")
        PARQUET,
        @JsonProperty("json")
        JSON,
        @JsonProperty("csv")
        CSV,
        @JsonProperty("kafka")
        KAFKA,
        @JsonProperty("console")
        CONSOLE,
        @JsonProperty("memory")
        MEMORY
    }

    public enum Conflict {
        @JsonProperty("update")
        UPDATE,
        @JsonProperty("ignore")
        IGNORE
    }

    public enum OutputMode {
        @JsonProperty("append")
        APPEND,
        @JsonProperty("update")
        UPDATE,
        @JsonProperty("complete")
        COMPLETE;

        public org.apache.spark.sql.streaming.OutputMode spark() {
            return switch (this) {
                case APPEND -> org.apache.spark.sql.streaming.OutputMode.Append();
                case UPDATE -> org.apache.spark.sql.streaming.OutputMode.Update();
                case COMPLETE -> org.apache.spark.sql.streaming.OutputMode.Complete();
            };
        }
    }

    public enum TriggerKind {
        @JsonProperty("processing-time")
        PROCESSING_TIME,
        @JsonProperty("available-now")
        AVAILABLE_NOW,
        @JsonProperty("continuous")
        CONTINUOUS
    }

    /**
     * Where records come from.
     *
     * @param kind {@code kafka}, {@code file} or {@code rate}
     * @param topics kafka: the topics to subscribe to
     * @param topicPattern kafka: a Java regex of topics to subscribe to, instead of {@code topics}
     * @param startingOffsets kafka: {@code earliest}, {@code latest} or Spark's JSON offsets, for the
     *     first run (without a checkpoint)
     * @param startingTimestamp kafka: start at the first record at or after this time, instead of
     *     {@code startingOffsets}
     * @param maxOffsetsPerTrigger kafka: the most records one micro-batch reads
     * @param failOnDataLoss kafka: whether offsets deleted before they were read fail the query
     * @param format kafka: how values are encoded ({@code json}, {@code csv}, {@code text}); file:
     *     the files' format ({@code json}, {@code csv}, {@code text} one record per line, or
     *     {@code parquet})
     * @param schema the records' fields as a Spark DDL string, such as {@code host STRING, bytes BIGINT}
     * @param schemaName a built-in schema instead of {@code schema}: {@code car_info}
     * @param path file: the directory watched for new files
     * @param maxFilesPerTrigger file: the most new files one micro-batch reads
     * @param latestFirst file: read the newest files first when there is a backlog
     * @param rowsPerSecond rate: rows generated per second (columns {@code timestamp}, {@code value})
     * @param metadata kafka: columns added to each record from what Kafka tells about it, by column
     *     name: {@code topic}, {@code partition}, {@code offset} or {@code timestamp}; for example
     *     {@code {"kafka_time": "timestamp"}}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Source(
            @NotNull SourceKind kind,
            List<@NotBlank String> topics,
            String topicPattern,
            String startingOffsets,
            Instant startingTimestamp,
            @Positive Long maxOffsetsPerTrigger,
            Boolean failOnDataLoss,
            RecordFormat format,
            String schema,
            String schemaName,
            String path,
            @Positive Integer maxFilesPerTrigger,
            Boolean latestFirst,
            @Positive Integer rowsPerSecond,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<@NotBlank String, @NotNull RecordMetadata> metadata) {

        public Source {
            topics = topics == null ? List.of() : List.copyOf(topics);
            metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        public RecordFormat formatOrDefault() {
            return format == null ? RecordFormat.JSON : format;
        }
    }

    /**
     * What is done with the accepted records.
     *
     * @param eventTime a SQL expression giving each record's event time (a timestamp), added as
     *     column {@value PipelineDefinition#EVENT_TIME}; for example {@code timestamp_seconds(gpsUtcTime)}
     * @param watermark how late a record may arrive, for example {@code 2 minutes}; needs
     *     {@code eventTime}. Older records are dropped (and counted) by stateful steps
     * @param dropDuplicates drop records whose values of these columns were seen before, within the
     *     watermark
     * @param sql Spark SQL over the view {@value PipelineDefinition#EVENTS_VIEW}; unset:
     *     {@code SELECT * FROM events}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Transform(String eventTime, String watermark, List<@NotBlank String> dropDuplicates, String sql) {

        public Transform {
            dropDuplicates = dropDuplicates == null ? List.of() : List.copyOf(dropDuplicates);
        }

        public String sqlOrDefault() {
            return sql == null || sql.isBlank() ? "SELECT * FROM " + EVENTS_VIEW : sql;
        }
    }

    /**
     * Where the result goes.
     *
     * @param kind {@code postgres}, {@code parquet}, {@code json}, {@code csv}, {@code kafka},
     *     {@code console} or {@code memory}
     * @param table postgres: the table
     * @param keyColumns postgres: the key the rows are upserted on (needed for {@code update} and
     *     {@code complete} modes; makes a replayed micro-batch harmless); memory: the key that
     *     {@code update} mode replaces rows on
     * @param createTable postgres: create the table (with the key as primary key) when it does not exist
     * @param path parquet, json, csv: the output directory
     * @param partitionBy parquet, json, csv: the partition columns
     * @param topic kafka: the topic written to
     * @param key kafka: a SQL expression for each record's key; unset: no key
     * @param value kafka: a SQL expression for each record's value; unset: the row as JSON
     * @param maxRows memory: the most rows kept (the oldest go first); console: rows printed per batch
     * @param onConflict postgres with key columns: what a row whose key the table holds does,
     *     {@code update} (the default: upsert) or {@code ignore} (the stored row stays)
     * @param versionColumn postgres upserts: the result column whose greatest value wins among rows
     *     of one key, also against the stored row (an older event never overwrites a newer one);
     *     unset: a key's last row in Kafka order within a partition wins
     * @param rowsPerFile parquet, json, csv: the most rows a micro-batch puts in one file (per
     *     partition folder); a micro-batch is written by as few tasks as that allows, so small
     *     batches make one file each, not one per input partition. Unset: one file per input
     *     partition
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Sink(
            @NotNull SinkKind kind,
            String table,
            List<@NotBlank String> keyColumns,
            Boolean createTable,
            String path,
            List<@NotBlank String> partitionBy,
            String topic,
            String key,
            String value,
            @Positive Integer maxRows,
            Conflict onConflict,
            String versionColumn,
            @Positive Long rowsPerFile) {

        public Sink {
            keyColumns = keyColumns == null ? List.of() : List.copyOf(keyColumns);
            partitionBy = partitionBy == null ? List.of() : List.copyOf(partitionBy);
        }

        @JsonIgnore
        public boolean isFiles() {
            return kind == SinkKind.PARQUET || kind == SinkKind.JSON || kind == SinkKind.CSV;
        }
    }

    /**
     * When micro-batches run.
     *
     * @param kind {@code processing-time} (every {@code interval}), {@code available-now} (what is
     *     there, then stop) or {@code continuous} (millisecond latency, map-only queries, with a
     *     checkpoint every {@code interval})
     * @param interval a Spark interval such as {@code 10 seconds} or {@code 1 minute}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Trigger(TriggerKind kind, String interval) {

        public Trigger {
            kind = kind == null ? TriggerKind.PROCESSING_TIME : kind;
            interval = interval == null && kind != TriggerKind.AVAILABLE_NOW ? "10 seconds" : interval;
        }
    }

    /**
     * A condition every accepted record meets.
     *
     * @param reason the dead-letter reason of a record that breaks it, such as {@code NEGATIVE_BYTES}
     * @param require a SQL condition over the record's fields, such as {@code bytes >= 0}
     * @param detail a SQL expression over the record's fields for the dead letter's detail, such as
     *     {@code concat('bytes=', bytes)}; unset (or null for a record): "breaks the rule: " and the
     *     condition
     */
    @Schema(description = "A record for which `require` is not true goes to the dead letters with `reason`.")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(
            @NotBlank
            @Pattern(regexp = "[A-Z][A-Z0-9_]{0,63}", message = "must be UPPER_SNAKE_CASE, at most 64 characters")
            String reason,

            @NotBlank String require,
            String detail) {}
}
