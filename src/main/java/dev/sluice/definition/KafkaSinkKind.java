package dev.sluice.definition;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.sluice.definition.PipelineDefinition.Sink;
import dev.sluice.pipeline.KafkaSource;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import scala.collection.JavaConverters;

/** {@code kafka}: records into a topic, their key and value SQL expressions of the result. */
final class KafkaSinkKind implements SinkKindSpec {

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public String continuousRefusal() {
        return null;
    }

    @Override
    public List<DefinitionProblem> problems(PipelineDefinition definition) {
        Sink sink = definition.sink();
        if (sink.topic() == null || sink.topic().isBlank()) {
            return List.of(new DefinitionProblem("sink.topic", "a kafka sink needs a topic"));
        }
        return List.of();
    }

    @Override
    public List<DefinitionProblem> resultProblems(PipelineDefinition definition, Dataset<Row> output) {
        List<DefinitionProblem> problems = new ArrayList<>();
        Sink sink = definition.sink();
        if (sink.key() != null && !sink.key().isBlank()) {
            try {
                PipelinePlanner.column(output, sink.key());
            } catch (Exception e) {
                problems.add(PipelinePlanner.sparkProblem("sink.key", e));
            }
        }
        try {
            Sink valueOnly = new Sink(
                    sink.kind(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    sink.topic(),
                    null,
                    sink.value(),
                    null,
                    null,
                    null,
                    null);
            DataType value =
                    kafkaRecords(output, valueOnly).schema().apply("value").dataType();
            if (!(value instanceof StringType) && !(value instanceof BinaryType)) {
                problems.add(new DefinitionProblem(
                        "sink.value", "a kafka value is a string or binary, not " + value.simpleString()));
            }
        } catch (Exception e) {
            problems.add(PipelinePlanner.sparkProblem("sink.value", e));
        }
        return problems;
    }

    @Override
    public DataStreamWriter<Row> writer(Run run, Dataset<Row> output) {
        PipelineEnvironment environment = run.environment();
        return kafkaRecords(output, run.definition().sink())
                .writeStream()
                .format("kafka")
                .options(KafkaSource.clientOptions(environment.kafkaBootstrapServers(), environment.kafkaProperties()))
                .option("topic", run.definition().sink().topic());
    }

    /** The rows a kafka sink sends: {@code key} (when set) and {@code value}. */
    private static Dataset<Row> kafkaRecords(Dataset<Row> output, Sink sink) {
        List<Column> columns = new ArrayList<>();
        if (sink.key() != null && !sink.key().isBlank()) {
            columns.add(
                    PipelinePlanner.column(output, sink.key()).cast("string").as("key"));
        }
        if (sink.value() != null && !sink.value().isBlank()) {
            columns.add(PipelinePlanner.column(output, sink.value()).as("value"));
        } else {
            // The row as JSON, without the event_time column the transform added.
            Column[] fields = JavaConverters.seqAsJavaList(output.schema().toSeq()).stream()
                    .map(StructField::name)
                    .filter(name -> !name.equals(PipelineDefinition.EVENT_TIME))
                    .map(name -> col("`" + name + "`"))
                    .toArray(Column[]::new);
            columns.add(to_json(struct(fields)).as("value"));
        }
        return output.select(columns.toArray(Column[]::new));
    }
}
