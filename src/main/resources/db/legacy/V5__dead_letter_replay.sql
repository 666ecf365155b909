-- Dead letters an operator replayed into Kafka are marked, so none is replayed twice.
ALTER TABLE ${dead_letter_table} ADD COLUMN replayed_at timestamptz;
CREATE INDEX ${dead_letter_table}_recorded_at ON ${dead_letter_table} (recorded_at);
