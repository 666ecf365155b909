-- What the operator last asked of each pipeline, so a redeploy keeps a stopped pipeline stopped,
-- and where it starts after its checkpoint was reset (cleared once a run started from there).
CREATE TABLE pipeline_control (
    pipeline      varchar(128) PRIMARY KEY,
    desired_state varchar(16)  NOT NULL CHECK (desired_state IN ('RUNNING', 'STOPPED')),
    next_start    varchar(64),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);
