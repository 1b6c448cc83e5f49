#!/usr/bin/env bash
# Runs the browser tests in web/ui_test against a real reel: builds it,
# starts it on a free loopback port with a temp data dir, runs the tests
# with REEL_URL and REEL_DATA (where tus.test.mjs finds the stored
# originals) set, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

go build -o bin/reel ./cmd/reel
data=$(mktemp -d)
log="$data/reel.log"
./bin/reel serve --data "$data" --addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT

url=""
for _ in $(seq 100); do
  url=$(grep -o 'addr=http://[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "reel did not start"; cat "$log"; exit 1; }

REEL_URL="$url" REEL_DATA="$data" node --test web/ui_test/ || {
  echo "--- reel's log"; tail -50 "$log"; exit 1; }
