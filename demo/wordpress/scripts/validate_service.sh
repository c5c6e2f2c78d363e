#!/bin/bash
# validate_service.sh - ValidateService hook of the WordPress release: the
# instance must answer the shop's health page with its version within 20 s
# (nginx, PHP-FPM, the database and Redis all took part). Whether checkout
# works is the validator's question, so a broken release installs and then
# fails validation.
set -euo pipefail

url="http://127.0.0.1:$PORT/shop/health"
deadline=$((SECONDS + 20))
until body=$(curl -fsS --max-time 3 "$url" 2>/dev/null); do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "no answer: $(curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "$url" 2>&1 || true)"
        exit 1
    fi
    sleep 0.2
done
case "$body" in
*"\"version\":\"$VERSION\""*) echo "validated: $body" ;;
*) echo "wrong version answered: $body"; exit 1 ;;
esac
