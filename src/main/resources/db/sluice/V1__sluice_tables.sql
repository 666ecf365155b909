-- Sluice's own tables, in a schema of their own (sluice.postgres.schema): the database may hold
-- anything else, the pipelines' tables among it. A database laid out by an older release (these
-- tables in public) has them moved here, rows and all, before this runs (see SchemaLayout).

-- Records a pipeline could not accept, with where they came from and why; nothing is dropped.
-- "topic" is a file's path and the offset its line number for records read from files.
CREATE TABLE ${dead_letter_table} (
    id              bigserial     PRIMARY KEY,
    pipeline        varchar(128)  NOT NULL,
    topic           varchar(2048) NOT NULL,
    kafka_partition integer       NOT NULL,
    kafka_offset    bigint        NOT NULL,
    kafka_timestamp timestamptz,
    reason          varchar(64)   NOT NULL,
    detail          text,
    raw_value       bytea,
    recorded_at     timestamptz   NOT NULL DEFAULT now(),
    -- Dead letters an operator replayed into Kafka are marked, so none is replayed twice.
    replayed_at     timestamptz,
    UNIQUE (pipeline, topic, kafka_partition, kafka_offset)
);
CREATE INDEX ${dead_letter_table}_pipeline_reason ON ${dead_letter_table} (pipeline, reason);
CREATE INDEX ${dead_letter_table}_recorded_at ON ${dead_letter_table} (recorded_at);

-- What the operator last asked of each pipeline, so a redeploy keeps a stopped pipeline stopped,
-- and where it starts after its checkpoint was reset (cleared once a run started from there).
CREATE TABLE pipeline_control (
    pipeline      varchar(128) PRIMARY KEY,
    desired_state varchar(16)  NOT NULL CHECK (desired_state IN ('RUNNING', 'STOPPED')),
    next_start    varchar(64),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);

-- Pipelines created over the API: their definitions, as the JSON the API takes, so they come back
-- after a restart.
CREATE TABLE pipeline_definition (
    pipeline   varchar(128) PRIMARY KEY,
    definition jsonb        NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);

-- Every control action on the API (start, stop, reset, create, change, delete, dry runs) and every
-- refused call: who, when, what, the outcome, and the definition a create or change carried.
-- Never a credential.
CREATE TABLE audit_log (
    id         bigserial    PRIMARY KEY,
    at         timestamptz  NOT NULL DEFAULT clock_timestamp(),
    actor      varchar(256) NOT NULL,
    role       varchar(16),
    action     varchar(64)  NOT NULL,
    pipeline   varchar(128),
    method     varchar(16)  NOT NULL,
    path       varchar(512) NOT NULL,
    parameters varchar(512),
    status     integer      NOT NULL,
    outcome    varchar(16)  NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    definition text
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_pipeline_at ON audit_log (pipeline, at DESC);
