-- 0009_sns_receipts: Amazon SNS deliveries are a third receiver of
-- cutover-web (POST /v1/alarms/sns); their key is the message's MessageId,
-- which SNS keeps across its retries.
ALTER TABLE alarm_receipts DROP CONSTRAINT alarm_receipts_receiver_check;
ALTER TABLE alarm_receipts ADD CONSTRAINT alarm_receipts_receiver_check
    CHECK (receiver IN ('alertmanager', 'eventbridge', 'sns'));
