-- A dead letter keeps its Kafka record's key too, so a replay sends the record back whole: with
-- its key, to the partition its key picks, beside the key's other records. Null for a record
-- without a key, a line of a file, and a result row the table refused.
ALTER TABLE ${dead_letter_table} ADD COLUMN raw_key bytea;
