package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The Kafka offsets a query has committed, read from its checkpoint: the end offsets of the last
 * committed micro-batch, i.e. the next offset it will read in each partition.
 *
 * @param committedBatchId the last micro-batch whose output is committed, or null if none
 * @param offsets topic -> partition -> next offset to read, after that batch
 * @param plannedBatchId a micro-batch that was planned but not committed (it is run again on the
 *     next start), or null
 */
public record CheckpointOffsets(Long committedBatchId, Map<String, Map<Integer, Long>> offsets, Long plannedBatchId) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Map<Integer, Long>>> KAFKA_OFFSETS = new TypeReference<>() {};

    public static CheckpointOffsets read(Configuration hadoop, String checkpointLocation) throws IOException {
        Path root = new Path(checkpointLocation);
        FileSystem fs = root.getFileSystem(hadoop);
        OptionalLong committed = latestBatch(fs, new Path(root, "commits"));
        OptionalLong planned = latestBatch(fs, new Path(root, "offsets"));
        if (committed.isEmpty()) {
            return new CheckpointOffsets(null, Map.of(), planned.isPresent() ? planned.getAsLong() : null);
        }
        Map<String, Map<Integer, Long>> offsets = new TreeMap<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                fs.open(new Path(root, "offsets/" + committed.getAsLong())), StandardCharsets.UTF_8))) {
            reader.readLine(); // log version
            reader.readLine(); // batch metadata
            String source = reader.readLine();
            if (source != null && source.startsWith("{")) {
                try {
                    JSON.readValue(source, KAFKA_OFFSETS)
                            .forEach((topic, partitions) -> offsets.put(topic, new TreeMap<>(partitions)));
                } catch (JsonProcessingException e) {
                    // Not a Kafka source (a file or rate source): it has no topic offsets to show.
                }
            }
        }
        Long pending = planned.isPresent() && planned.getAsLong() > committed.getAsLong() ? planned.getAsLong() : null;
        return new CheckpointOffsets(committed.getAsLong(), offsets, pending);
    }

    /** Removes the checkpoint, so the next run starts afresh. */
    public static void delete(Configuration hadoop, String checkpointLocation) throws IOException {
        Path root = new Path(checkpointLocation);
        FileSystem fs = root.getFileSystem(hadoop);
        if (fs.exists(root) && !fs.delete(root, true)) {
            throw new IOException("Could not delete the checkpoint " + checkpointLocation);
        }
    }

    private static OptionalLong latestBatch(FileSystem fs, Path log) throws IOException {
        if (!fs.exists(log)) {
            return OptionalLong.empty();
        }
        OptionalLong latest = OptionalLong.empty();
        for (FileStatus file : fs.listStatus(log)) {
            String name = file.getPath().getName();
            if (name.chars().allMatch(Character::isDigit)) {
                long batch = Long.parseLong(name);
                if (latest.isEmpty() || batch > latest.getAsLong()) {
                    latest = OptionalLong.of(batch);
                }
            }
        }
        return latest;
    }
}
