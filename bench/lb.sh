#!/usr/bin/env bash
# bench/lb.sh: one reel API process behind the shipped load balancer
# (docs/nginx-lb.conf, Debian's nginx) against two, on one SQLite file and
# local stores: uploads per second of small files (64 KiB multipart
# POST /api/videos, wrk with a Lua body) and signed segment requests per
# second (the first segment of a transcoded 720p clip). wrk runs 1 thread, 16
# connections, BENCH_LB_SECONDS (default 10) per case; ROUNDS (default 3)
# rounds interleave the cases and the tables give medians and the runs.
# Results to stdout and docs/benchmarks-lb.md.
#
# On one machine both reel processes share its cores, so the second one
# can only show what the load balancer costs and what two processes on the
# same cores give; the projection to machines of their own is in the doc.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOC=$ROOT/docs/benchmarks-lb.md
SECS=${BENCH_LB_SECONDS:-10}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] && command -v wrk >/dev/null || die "needs nginx and wrk (apt-get install nginx wrk)"

cd "$ROOT"
go build -o "$WORK/reel" ./cmd/reel
DATA=$WORK/data
KEY=$("$WORK/reel" keys create --data "$DATA" --name bench --role admin | tail -n 1)

# serve PORT WORKERS: a reel serve on the shared data, limits off.
serve() {
	"$WORK/reel" serve --data "$DATA" --addr "127.0.0.1:$1" --workers "$2" --upload-rate 0 --api-rate 0 \
		--log-level warn >/dev/null 2>>"$WORK/reel.log" &
	pids+=($!)
	for _ in $(seq 600); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.1; done
	cat "$WORK/reel.log" >&2
	die "reel on $1 did not start"
}

# A transcoded clip, for its segments: uploaded to a reel with a worker.
P0=$(free_port)
serve "$P0" 1
ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30:duration=12 -f lavfi -i sine=duration=12 \
	-c:v libx264 -preset ultrafast -b:v 3M -c:a aac -shortest "$WORK/clip.mp4"
ID=$(json_str id "$(curl -fsS -H "Authorization: Bearer $KEY" -F file=@"$WORK/clip.mp4" "http://127.0.0.1:$P0/api/videos")")
for _ in $(seq 600); do
	v=$(curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:$P0/api/videos/$ID")
	[ "$(json_str status "$v")" = ready ] && break
	sleep 0.5
done
[ "$(json_str status "$v")" = ready ] || die "the clip was not transcoded: $v"
MASTER=$(json_str url "$v")
BASE=${MASTER%master.m3u8}
VARIANT=$(curl -fsS "$MASTER" | grep -v '^#' | head -n 1)
SEGMENT=${VARIANT%/*}/$(curl -fsS "$BASE$VARIANT" | grep -v '^#' | head -n 1)
SEGPATH=${BASE#http://127.0.0.1:$P0}$SEGMENT
SEGSIZE=$(curl -fsS "$BASE$SEGMENT" | wc -c)
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

# Two API processes, no workers, and two nginx load balancers: one in
# front of the first process, one in front of both.
PA=$(free_port); serve "$PA" 0
PB=$(free_port); serve "$PB" 0
# lb NAME UPSTREAM...: nginx with docs/nginx-lb.conf in front of the
# reel ports; sets LB_PORT.
lb() {
	local name=$1 servers="" u user=""; shift
	LB_PORT=$(free_port)
	for u in "$@"; do servers+="server 127.0.0.1:$u; "; done
	mkdir -p "$WORK/$name"
	sed -e "s#@LISTEN@#127.0.0.1:$LB_PORT#" -e "s#@TEMP_DIR@#$WORK/$name#" -e "s#server @UPSTREAM@;#$servers#" \
		docs/nginx-lb.conf >"$WORK/$name/nginx.conf"
	[ "$(id -u)" = 0 ] && user="user $(id -un);"
	"$NGINX" -p "$WORK/$name" -e stderr -c "$WORK/$name/nginx.conf" \
		-g "daemon off; pid $WORK/$name/nginx.pid; error_log stderr; $user" >/dev/null 2>>"$WORK/nginx.log" &
	pids+=($!)
	for _ in $(seq 600); do curl -fs "http://127.0.0.1:$LB_PORT/healthz" >/dev/null && return; sleep 0.1; done
	cat "$WORK/nginx.log" >&2
	die "nginx $name did not start"
}
lb one "$PA"
LB1=$LB_PORT
lb two "$PA" "$PB"
LB2=$LB_PORT

cat >"$WORK/upload.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=benchboundary"
wrk.body = "--benchboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"small.mp4\"\r\n" ..
	"Content-Type: application/octet-stream\r\n\r\n" .. string.rep("x", 65536) .. "\r\n--benchboundary--\r\n"
EOF

declare -A RPS
BAD=0
# run NAME URL [wrk args]: requests per second, added to NAME's runs.
run() {
	local name=$1 url=$2 out rps bad; shift 2
	out=$(wrk -t1 -c16 -d"${SECS}s" "$@" "$url")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
	BAD=$((BAD + ${bad:-0}))
	RPS[$name]+="$rps "
	log "$name: $rps req/s${bad:+, $bad non-2xx}"
}
for round in $(seq "$ROUNDS"); do
	run "upload, 1 process" "http://127.0.0.1:$LB1/api/videos" -s "$WORK/upload.lua"
	run "upload, 2 processes" "http://127.0.0.1:$LB2/api/videos" -s "$WORK/upload.lua"
	run "segment, 1 process" "http://127.0.0.1:$LB1$SEGPATH"
	run "segment, 2 processes" "http://127.0.0.1:$LB2$SEGPATH"
done
[ "$BAD" = 0 ] || die "$BAD responses were not 2xx (see $WORK/reel.log)"

row() {
	local one two
	# shellcheck disable=SC2086 # each holds its runs, split into arguments
	one=$(median ${RPS["$1, 1 process"]}) two=$(median ${RPS["$1, 2 processes"]})
	echo "| $2 | $(fmt 0 "$one") | $(fmt 0 "$two") | $(fmt 2 "$(calc "$two / $one")") | ${RPS["$1, 1 process"]}/ ${RPS["$1, 2 processes"]}|"
}
{
	echo "# Load balancer: one API process against two"
	echo
	echo "Generated by \`bench/lb.sh\`; do not edit by hand, run it again."
	echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git rev-parse --short HEAD); $(nproc) cores shared by nginx, the reel"
	echo "processes and wrk; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. nginx with docs/nginx-lb.conf"
	echo "in front of one \`reel serve --workers 0\`, or of two on the same SQLite file and local stores"
	echo "(rate limits off); wrk 1 thread, 16 connections, ${SECS} s per case, $ROUNDS interleaved rounds, medians."
	echo
	echo "| requests per second | 1 process | 2 processes | ratio | runs (1 / 2) |"
	echo "|---|---:|---:|---:|---|"
	row upload "upload, 64 KiB multipart, 201 each"
	row segment "signed segment, $SEGSIZE bytes"
	echo
	echo "Two processes on one 2-core machine share its cores with nginx and wrk, so the ratio shows"
	echo "what the balancer and a second process cost or give on the same cores, not what a second"
	echo "machine gives. Projection: API processes share nothing but the database and the stores,"
	echo "so with a machine each, segments (a state query per video at most every 3 s) scale with the processes until the"
	echo "store, the balancer or the network saturates; uploads write one row and one job per video,"
	echo "so they scale until the database's writes do: one SQLite file takes one writer at a time,"
	echo "which is why several machines use PostgreSQL."
} | tee "$DOC"
log "written to docs/benchmarks-lb.md"
