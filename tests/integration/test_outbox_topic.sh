#!/usr/bin/env bash
# test_outbox_topic - an outbox row goes to the topic its writer named,
# whoever publishes it (migration 0017): a row committed by a process with
# one topic prefix and left unsent is sent by the sweeper of a worker with
# another prefix to the writer's topic, never to its own; a row written
# before the column existed (no full topic) goes to the publisher's topic,
# as before; each row is marked sent once.
source "$(dirname "$0")/../lib.sh"

use_test_prefix
"$BIN/cutover" migrate > /dev/null
WRITER=$CUTOVER_TOPIC_PREFIX
PUBLISHER="$(unique_name p)."
KEY=$(unique_name outbox)
MINE=$(cloud_event deployment-status "$KEY" '{"who":"writer"}')
LEGACY=$(cloud_event deployment-status "$KEY" '{"who":"legacy"}')
CUTOVER_TOPIC_PREFIX=$PUBLISHER "$BIN/cutover" topics create > /dev/null

"$TOP/$BUILD/tests/outbox_probe" deployment-status "$KEY" "$MINE" 2>>"$LOGDIR/outbox_probe.log"
check_eq "the writer commits its row and leaves it unsent" 0 "$?"
check_eq "the row names the writer's topic in full" "${WRITER}deployment-status" \
  "$(sql "SELECT full_topic FROM outbox WHERE key = :'v1'" "$KEY")"
sql "INSERT INTO outbox (topic, key, value) VALUES ('deployment-status', :'v1', :'v2')" "$KEY" "$LEGACY" > /dev/null

unsent() { sql "SELECT count(*) FROM outbox WHERE key = :'v1' AND sent_at IS NULL" "$KEY"; }
CUTOVER_TOPIC_PREFIX=$PUBLISHER CUTOVER_GROUP_PREFIX=${PUBLISHER%.} start_worker migrator
check "a worker with another prefix sends both rows" wait_for 60 eq 0 unsent
stop_workers

on_topic() { CUTOVER_TOPIC_PREFIX=$1 consume deployment-status | grep -c "\"who\":\"$2\"" || true; }
check_eq "the writer's row is on the writer's topic, once" 1 "$(on_topic "$WRITER" writer)"
check_eq "and not on the publisher's" 0 "$(on_topic "$PUBLISHER" writer)"
check_eq "the row without a full topic is on the publisher's topic" 1 "$(on_topic "$PUBLISHER" legacy)"
finish
