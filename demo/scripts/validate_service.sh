#!/bin/bash
# validate_service.sh - ValidateService hook of the demo release: the instance
# must answer GET / with its version within 10 s (one answer: a release with
# an error rate may fail the next request). Whether the release is
# healthy is the validator's question (the environment's checks, through
# the preview route), so a broken release installs and then fails validation.
set -euo pipefail

if [ -e "$RELEASE_DIR/failing-hook" ]; then
    echo "this release fails its ValidateService hook on purpose"
    exit 1
fi
url="http://127.0.0.1:$PORT"
deadline=$((SECONDS + 10))
until body=$(curl -fsS --max-time 2 "$url/" 2>/dev/null); do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "no answer: $(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "$url/" 2>&1 || true)"
        exit 1
    fi
    sleep 0.2
done
case "$body" in
*"version $VERSION "*) echo "validated: $body" ;;
*) echo "wrong version answered: $body"; exit 1 ;;
esac
