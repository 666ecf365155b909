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
