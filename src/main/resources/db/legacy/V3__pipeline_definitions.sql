-- Pipelines created over the API: their definitions, as the JSON the API takes, so they come back
-- after a restart.
CREATE TABLE pipeline_definition (
    pipeline   varchar(128) PRIMARY KEY,
    definition jsonb        NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);

-- Defined pipelines also read files: a dead letter's "topic" is then the file's path, and its
-- offset the line number.
ALTER TABLE ${dead_letter_table} ALTER COLUMN topic TYPE varchar(2048);
