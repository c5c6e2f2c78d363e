# tests/sign_lib.sh - helpers for the tests of signed events (sourced after
# tests/lib.sh, bash): keys made at test time with ssh-keygen, and a published
# event's signature checked by OpenSSH itself, with a canonical form computed
# here, independently of cutover's C code.
#
# The canonical form (io/event_canon.h) is RFC 8785 of the structured event
# without "cutoversig"; for cutover's events (integers only, no surrogate
# pairs) it is Python's json.dumps(obj, sort_keys=True, separators=(',', ':'),
# ensure_ascii=False). A binary-mode record is put in structured form first:
# each ce_ header an attribute, content-type as datacontenttype, the value as
# data.

# sign_keygen DIR NAME SSH-KEYGEN-ARGS... - DIR/NAME, DIR/NAME.pub and
# DIR/allowed_signers.NAME (principal op@cutover, any cutover namespace)
sign_keygen() {
  local dir=$1 name=$2
  shift 2
  ssh-keygen -q "$@" -N '' -C "op-$name@cutover" -f "$dir/$name" < /dev/null &&
    printf 'op@cutover namespaces="cutover:*" %s\n' "$(cat "$dir/$name.pub")" \
      > "$dir/allowed_signers.$name"
}

# sign_last_record TOPIC - the topic's last record as kcat's JSON envelope
sign_last_record() {
  kcat -C -J -b "$CUTOVER_KAFKA_BROKERS" -t "${CUTOVER_TOPIC_PREFIX}$1" -o beginning -e -q \
    2>/dev/null | tail -1
}

# sign_extract RECORD PREFIX [tamper] - from kcat's JSON envelope RECORD:
# PREFIX.canon (the canonical form) and PREFIX.sig (the signature, armored
# as ssh-keygen wants it); with tamper, the event's data.reason is changed
# first. Fails when the record carries no signature.
sign_extract() {
  python3 - "$1" "$2" "${3:-}" <<'PYEOF'
import base64, json, sys

record, prefix, tamper = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
headers = record.get("headers") or []
if isinstance(headers, list):
    headers = dict(zip(headers[0::2], headers[1::2]))
payload = record["payload"]
if isinstance(payload, str):
    payload = json.loads(payload)
if "ce_specversion" in headers:
    event = {k[3:]: v for k, v in headers.items() if k.startswith("ce_")}
    if "content-type" in headers:
        event["datacontenttype"] = headers["content-type"]
    event["data"] = payload
else:
    event = payload
signature = base64.b64decode(event.pop("cutoversig"), validate=True)
if tamper:
    event["data"]["reason"] = "tampered"
canon = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
with open(prefix + ".canon", "wb") as f:
    f.write(canon.encode("utf-8"))
text = base64.b64encode(signature).decode()
lines = [text[i:i + 70] for i in range(0, len(text), 70)]
with open(prefix + ".sig", "w") as f:
    f.write("-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n")
PYEOF
}

# sign_verify DIR NAME NAMESPACE PREFIX - OpenSSH's verdict on PREFIX.sig over PREFIX.canon
sign_verify() {
  ssh-keygen -Y verify -f "$1/allowed_signers.$2" -I op@cutover -n "$3" -s "$4.sig" \
    < "$4.canon" > /dev/null 2>&1
}

# sign_refused DIR NAME NAMESPACE PREFIX - ssh-keygen refuses PREFIX.sig over PREFIX.canon
sign_refused() { ! sign_verify "$@"; }

# check_signed NAME DIR KEY ENV TOPIC - the topic's last record is signed by KEY for
# cutover:ENV (ssh-keygen accepts it), and a tampered copy is refused
check_signed() {
  local name=$1 dir=$2 key=$3 env=$4 record
  record=$(sign_last_record "$5")
  if ! sign_extract "$record" "$dir/event" 2> "$dir/extract.err"; then
    not_ok "$name: the event carries a signature" "$(tail -1 "$dir/extract.err")"
    return
  fi
  check "$name: ssh-keygen -Y verify accepts the signature" \
    sign_verify "$dir" "$key" "cutover:$env" "$dir/event"
  check "$name: refused for another environment's namespace" \
    sign_refused "$dir" "$key" cutover:other "$dir/event"
  sign_extract "$record" "$dir/tampered" tamper
  check "$name: a tampered copy is refused" \
    sign_refused "$dir" "$key" "cutover:$env" "$dir/tampered"
}
