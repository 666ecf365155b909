-- What the operator last asked of each pipeline, so a redeploy keeps a stopped pipeline stopped.
CREATE TABLE pipeline_control (
    pipeline      varchar(128) PRIMARY KEY,
    desired_state varchar(16)  NOT NULL CHECK (desired_state IN ('RUNNING', 'STOPPED')),
    updated_at    timestamptz  NOT NULL DEFAULT now()
);
