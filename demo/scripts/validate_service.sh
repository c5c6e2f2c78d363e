#!/bin/bash
# validate_service.sh - ValidateService hook of the demo release: the instance
# must answer GET /health with 200 and GET / with its version, within 10 s.
set -euo pipefail

url="http://127.0.0.1:$PORT"
deadline=$((SECONDS + 10))
until curl -fsS --max-time 2 "$url/health" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "health check failed: $(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "$url/health" 2>&1 || true)"
        exit 1
    fi
    sleep 0.2
done
body=$(curl -fsS --max-time 2 "$url/")
case "$body" in
*"version $VERSION "*) echo "validated: $body" ;;
*) echo "wrong version answered: $body"; exit 1 ;;
esac
