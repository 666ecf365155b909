-- The car_info rows the car-info-to-postgres pipeline keeps: seven fields of each event.
-- data_id is the key the sink's upsert uses, so a replayed micro-batch adds nothing twice.
CREATE TABLE ${car_info_table} (
    data_id     varchar(64) PRIMARY KEY,
    trmncd      varchar(64),
    detclot     double precision,
    detclat     double precision,
    gpsutctime  double precision,
    vhclesped   double precision,
    vhcletypecd varchar(32)
);

-- Records a pipeline could not accept, with where they came from and why; nothing is dropped.
CREATE TABLE ${dead_letter_table} (
    id              bigserial PRIMARY KEY,
    pipeline        varchar(128) NOT NULL,
    topic           varchar(255) NOT NULL,
    kafka_partition integer      NOT NULL,
    kafka_offset    bigint       NOT NULL,
    kafka_timestamp timestamptz,
    reason          varchar(64)  NOT NULL,
    detail          text,
    raw_value       bytea,
    recorded_at     timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (pipeline, topic, kafka_partition, kafka_offset)
);

CREATE INDEX ${dead_letter_table}_pipeline_reason ON ${dead_letter_table} (pipeline, reason);
