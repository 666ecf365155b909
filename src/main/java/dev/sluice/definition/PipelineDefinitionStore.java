package dev.sluice.definition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;

/** The definitions of pipelines created over the API, in PostgreSQL. */
public class PipelineDefinitionStore {

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;

    public PipelineDefinitionStore(JdbcTemplate jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Every stored definition, oldest first. */
    public List<PipelineDefinition> loadAll() {
        return jdbc.query(
                "SELECT definition::text FROM pipeline_definition ORDER BY created_at, pipeline",
                (row, index) -> read(row.getString(1)));
    }

    public void insert(PipelineDefinition definition) {
        jdbc.update(
                "INSERT INTO pipeline_definition (pipeline, definition) VALUES (?, ?::jsonb)",
                definition.name(),
                write(definition));
    }

    public void update(PipelineDefinition definition) {
        jdbc.update(
                "UPDATE pipeline_definition SET definition = ?::jsonb, updated_at = now() WHERE pipeline = ?",
                write(definition),
                definition.name());
    }

    public void delete(String name) {
        jdbc.update("DELETE FROM pipeline_definition WHERE pipeline = ?", name);
    }

    private PipelineDefinition read(String text) {
        try {
            return json.readValue(text, PipelineDefinition.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "A stored pipeline definition cannot be read: " + e.getOriginalMessage(), e);
        }
    }

    private String write(PipelineDefinition definition) {
        try {
            return json.writeValueAsString(definition);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("The pipeline definition cannot be written as JSON", e);
        }
    }
}
