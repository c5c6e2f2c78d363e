-- 0007_alarm_receipts: the alarms cutover-web received from monitoring
-- systems that do not speak CloudEvents (Alertmanager's webhook,
-- EventBridge's CloudWatch alarm state changes). Senders repeat what they
-- send; one row per (receiver, the sender's own key of the alarm,
-- environment) makes a repeat publish nothing. The key is, for
-- Alertmanager, "fingerprint/startsAt/status" of the alert, for
-- EventBridge the event's id; event_id is the id of the alarm-fired event
-- written to the outbox in the same transaction (derived from the key).

CREATE TABLE alarm_receipts (
    receiver     text NOT NULL CHECK (receiver IN ('alertmanager', 'eventbridge')),
    alarm_key    text NOT NULL,
    environment  text NOT NULL,
    event_id     text NOT NULL,
    alarm        text NOT NULL,
    state        text NOT NULL CHECK (state IN ('ALARM', 'OK')),
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (receiver, alarm_key, environment)
);
CREATE INDEX alarm_receipts_received ON alarm_receipts (received_at);
