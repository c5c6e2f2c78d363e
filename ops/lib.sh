# lib.sh - shell functions shared by ops/bootstrap, ops/devstack, ops/demo
# and the tests.
#
# SYNOPSIS
#   . "$OPS_DIR/lib.sh"
#   kafka_version; kafka_libs_dir; kafka_jars_ready; kafka_fetch_jars
#   KAFKA_VERSION_PIN=$KAFKA_SECURE_VERSION kafka_fetch_jars	(the secure broker's)
#   base=$(port_range_pick 5)	(5 free ports from base on)
#   slot_processes_stop "$CUTOVER_RUN_DIR/local/$ENV"	(the slots' own processes)
#
# DESCRIPTION
#   The Apache Kafka broker jars of ops/kafka/pom.xml live in one cache per
#   machine, ~/.cache/cutover/kafka-VERSION/libs (CUTOVER_CACHE_DIR moves it),
#   so that every clone and every CI run reuses them. A stamp file holding the
#   pom's checksum says the copy is complete and current.
#   Needs OPS_DIR set to the ops/ directory.

KAFKA_POM="$OPS_DIR/kafka/pom.xml"

# The Kafka version of the secure development stack's broker (ops/devstack
# up --secure), fetched with the same pom. Debian 12's librdkafka (2.0.2;
# the fix came in 2.6.1) repeats the client nonce in SCRAM's final message;
# Kafka 3.8.1 to 3.9.x accept that, 4.0 and later refuse it ("invalid
# credentials"), so SCRAM with this librdkafka needs a 3.9 broker.
KAFKA_SECURE_VERSION=3.9.1

# kafka_version - the Kafka version that ops/kafka/pom.xml names, unless
# KAFKA_VERSION_PIN names another (the secure stack's broker, see ops/devstack)
kafka_version() {
    [ -z "${KAFKA_VERSION_PIN:-}" ] || { echo "$KAFKA_VERSION_PIN"; return 0; }
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM"
}

# kafka_stamp - what the cache's stamp holds: the pom's checksum (and the
# pinned version, when one is)
kafka_stamp() {
    echo "$(sha256sum < "$KAFKA_POM" | cut -d' ' -f1)${KAFKA_VERSION_PIN:+ $KAFKA_VERSION_PIN}"
}

# kafka_libs_dir - the cache directory of the broker jars
kafka_libs_dir() {
    echo "${CUTOVER_CACHE_DIR:-$HOME/.cache/cutover}/kafka-$(kafka_version)/libs"
}

# kafka_jars_ready - true when the cache holds the jars of the current pom
kafka_jars_ready() {
    local stamp
    stamp="$(kafka_libs_dir)/.complete"
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(kafka_stamp)" ]
}

# kafka_java_ready - true when java and mvn can be run
kafka_java_ready() {
    command -v java >/dev/null && command -v mvn >/dev/null
}

# kafka_fetch_jars - copy the broker jars into the cache (Maven's own cache first)
kafka_fetch_jars() {
    local libs log
    libs=$(kafka_libs_dir)
    log=$(mktemp)
    rm -rf "$libs.tmp"
    mkdir -p "$(dirname "$libs")"
    if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_POM" -Dkafka.version="$(kafka_version)" \
            dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "kafka_fetch_jars: mvn failed" >&2
        return 1
    fi
    rm -f "$log"
    rm -rf "$libs"
    mv "$libs.tmp" "$libs"
    kafka_stamp > "$libs/.complete"
}

# port_range_pick COUNT - the first of COUNT consecutive TCP ports of 127.0.0.1 that
# nothing listens on, from 20000 up to the kernel's ephemeral range: a port inside
# that range may be taken at any time by an outgoing connection, and a server
# started on it later would fail to listen
port_range_pick() {
    local count=$1 low base p free
    read -r low _ < /proc/sys/net/ipv4/ip_local_port_range
    [ "$low" -gt 32768 ] && low=32768
    [ $((low - 20000 - count)) -lt 100 ] && low=61000 # no room below it: take the risk
    for _ in $(seq 100); do
        base=$((20000 + RANDOM % (low - 20000 - count))) free=1
        for ((p = base; p < base + count; p++)); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then free=0; break; fi
        done
        [ "$free" -eq 1 ] && { echo "$base"; return 0; }
    done
    echo "port_range_pick: no $count free ports" >&2
    return 1
}

# slot_processes_stop ENV_DIR - SIGTERM the process of each slot of the local
# provider's ENV_DIR (CUTOVER_RUN_DIR/local/ENV), the pid in SLOT/pid, when it is
# the slot's own: its environment names the slot (INSTANCE_DIR, as the provider
# starts it). A pid file outlives its process, and the kernel hands the pid out
# again, within minutes where pid_max is 32768 and processes come and go.
slot_processes_stop() {
    local pidfile pid slot
    for pidfile in "$1"/*/pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile") slot=$(realpath -- "${pidfile%/pid}")
        if grep -qxzF "INSTANCE_DIR=$slot" "/proc/$pid/environ" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true # it may have ended since
        fi
    done
    return 0
}
