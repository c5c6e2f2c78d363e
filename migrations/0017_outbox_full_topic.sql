-- 0017_outbox_full_topic: an outbox row names the Kafka topic it goes to in
-- full, with the writer's CUTOVER_TOPIC_PREFIX. Any process publishes any
-- committed row (outbox.h); before this column, the publisher put its own
-- prefix before the row's short topic, so that a process of another
-- installation sharing the database sent rows to its own topics. Rows
-- written before it (full_topic NULL) keep that behaviour.

ALTER TABLE outbox ADD COLUMN full_topic text;
