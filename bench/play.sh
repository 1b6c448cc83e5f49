#!/usr/bin/env bash
# bench/play.sh: signed delivery. `make bench` runs it after building
# bin/reel; the results go to stdout and to docs/benchmarks-play.md.
#
# Serving one 1 MiB segment and one media playlist (identity encoding, as
# wrk asks), each case 10 s of wrk on loopback, 1 thread, 16 connections:
#   reel      `reel serve --signing nginx`: the whole server
#   signed    bench/playref --signing-key: reel's /play/ handler alone,
#             checking the same tokens
#   unsigned  bench/playref: the same handler with a signer that accepts
#             everything (signed/unsigned is the cost of the check)
#   nginx     Debian's nginx serving the same files from disk, checking the
#             same token with secure_link (1 worker)
# Each server is pinned to core 0 (Go with GOMAXPROCS=1) and wrk to core 1
# with taskset. Targets: signed/unsigned >= 0.95; reel/nginx >= 0.9 for
# segments and >= 0.6 for playlists.
#
# Environment: REEL (default bin/reel), BENCH_SECONDS (default 10), BENCH_ROUNDS
# (default 3: the cases interleaved, medians reported).
# wrk and nginx are installed from Debian if missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
SECONDS_PER_CASE=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
DOC=$ROOT/docs/benchmarks-play.md
SUDO=$([ "$(id -u)" = 0 ] || command -v sudo || true)

for pkg in wrk nginx; do
	command -v $pkg >/dev/null || [ -x /usr/sbin/$pkg ] || {
		log "installing $pkg"
		$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $pkg
	}
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$REEL" ] || die "$REEL missing: run make build"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores to pin server and client apart"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
SECRET=bench-secret-0123456789abcdef0123456789
ID=benchbenchbench2 # the shape of a video id
DATA=$WORK/data
OUT=$DATA/outputs/$ID
mkdir -p "$OUT/v0"
head -c $((1 << 20)) /dev/urandom >"$OUT/v0/seg1.m4s"
{
	printf '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="init.mp4"\n'
	for i in $(seq 1 600); do printf '#EXTINF:6.000000,\nseg%d.m4s\n' "$i"; done # an hour of video
	printf '#EXT-X-ENDLIST\n'
} >"$OUT/v0/index.m3u8"

# wait_addr FILE: the first addr=http://... that FILE logs.
wait_addr() {
	for _ in $(seq 100); do
		a=$(grep -o 'addr=http://[0-9.:]*' "$1" | head -1 | cut -d= -f2) && [ -n "$a" ] && { echo "$a"; return; }
		sleep 0.1
	done
	cat "$1" >&2
	die "server did not start"
}

GOMAXPROCS=1 taskset -c 0 "$REEL" serve --data "$DATA" --addr 127.0.0.1:0 --signing nginx \
	--signing-key "$SECRET" --signing-key-id b1 --workers 0 --log-level info 2>"$WORK/reel.log" &
PIDS+=($!)
REEL_URL=$(wait_addr "$WORK/reel.log")

(cd "$ROOT" && go build -o "$WORK/playref" ./bench/playref)
GOMAXPROCS=1 taskset -c 0 "$WORK/playref" --outputs "$DATA/outputs" 2>"$WORK/playref.log" &
PIDS+=($!)
REF_URL=$(wait_addr "$WORK/playref.log")
GOMAXPROCS=1 taskset -c 0 "$WORK/playref" --outputs "$DATA/outputs" --signing-key "$SECRET" --signing-key-id b1 2>"$WORK/signed.log" &
PIDS+=($!)
SIGNED_URL=$(wait_addr "$WORK/signed.log")

# The token reel's nginx scheme makes: b1.<md5>,<expires>.
EXPIRES=$(($(date +%s) + 3600))
HASH=$(printf '%s' "$EXPIRES:$ID:b1:$SECRET" | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =)
TOKEN="b1.$HASH,$EXPIRES"

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/ng_body;
    proxy_temp_path $WORK/ng_proxy;
    fastcgi_temp_path $WORK/ng_fastcgi;
    uwsgi_temp_path $WORK/ng_uwsgi;
    scgi_temp_path $WORK/ng_scgi;
    types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location ~ "^/play/(?<kid>[a-z0-9]{1,8})\.(?<link>[A-Za-z0-9_-]{22},[0-9]{1,12})/(?<vid>[a-z2-7]{16})/(?<file>.+)\$" {
            secure_link \$link;
            secure_link_md5 "\$secure_link_expires:\$vid:\$kid:$SECRET";
            if (\$secure_link = "") { return 403; }
            if (\$secure_link = "0") { return 410; }
            add_header Cache-Control "public, max-age=31536000, immutable";
            alias $DATA/outputs/\$vid/\$file;
        }
    }
}
CONF
USER_OPT=""
[ "$(id -u)" = 0 ] && USER_OPT="user root;"
taskset -c 0 "$NGINX" -p "$WORK" -e stderr -c "$WORK/nginx.conf" \
	-g "daemon off; pid $WORK/nginx.pid; error_log stderr; $USER_OPT" 2>"$WORK/nginx.log" &
PIDS+=($!)
NGINX_URL=http://127.0.0.1:$NGINX_PORT
sleep 0.5

# Every server must answer 200 with the same bytes before it is timed.
for base in "$REEL_URL" "$SIGNED_URL" "$REF_URL" "$NGINX_URL"; do
	for f in v0/seg1.m4s v0/index.m3u8; do
		curl -fsS "$base/play/$TOKEN/$ID/$f" -o "$WORK/got" || die "$base/$f failed"
		cmp -s "$WORK/got" "$OUT/$f" || die "$base/$f: wrong bytes"
	done
done
for base in "$REEL_URL" "$SIGNED_URL" "$NGINX_URL"; do
	curl -s -o /dev/null -w '%{http_code}' "$base/play/b1.AAAAAAAAAAAAAAAAAAAAAA,$EXPIRES/$ID/v0/seg1.m4s" | grep -q 403 ||
		die "$base accepted a bad token"
done

# run NAME URL: wrk's req/s, MB/s and p99 (ms) of URL, added to NAME's runs.
declare -A RPS MBS P99 RUNS_RPS
run() {
	local name=$1 url=$2 out rps mbs p99
	out=$(taskset -c 1 wrk -t1 -c16 -d"${SECONDS_PER_CASE}s" --latency "$url")
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	mbs=$(awk '/^Transfer\/sec:/ {v=$2; u=substr(v, length(v)-1); v=v+0; if (u=="GB") v*=1024; if (u=="KB") v/=1024; if (u ~ /[0-9]B/) v/=1048576; printf "%.1f", v}' <<<"$out")
	p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) printf "%.3f", v/1000; else if (v ~ /ms$/) printf "%.2f", v+0; else printf "%.0f", (v+0)*1000}' <<<"$out")
	RPS[$name]+="$rps " MBS[$name]+="$mbs " P99[$name]+="$p99 "
	log "$name: $rps req/s, $mbs MB/s, p99 $p99 ms"
}
# Rounds interleave the cases, so a burst of other load hits them alike;
# the tables report each case's median.
for round in $(seq "$ROUNDS"); do
	for kind in segment playlist; do
		f=v0/seg1.m4s
		[ $kind = playlist ] && f=v0/index.m3u8
		run "reel $kind" "$REEL_URL/play/$TOKEN/$ID/$f"
		run "signed $kind" "$SIGNED_URL/play/$TOKEN/$ID/$f"
		run "unsigned $kind" "$REF_URL/play/$TOKEN/$ID/$f"
		run "nginx $kind" "$NGINX_URL/play/$TOKEN/$ID/$f"
	done
done
for name in "${!RPS[@]}"; do
	RUNS_RPS[$name]=${RPS[$name]}
	# shellcheck disable=SC2086 # each holds its runs, split into arguments
	RPS[$name]=$(median ${RPS[$name]}) MBS[$name]=$(median ${MBS[$name]}) P99[$name]=$(median ${P99[$name]})
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
meets() { verdict "$1 >= $2"; }
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "# Signed delivery benchmark"
	echo
	echo "\`bench/play.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, load average $load_start at start, $load_end at end;"
	echo "other work shares this machine, so treat small differences as noise). wrk 1 thread, 16 connections,"
	echo "${SECONDS_PER_CASE} s per case on loopback; each server pinned to core 0 (Go with GOMAXPROCS=1, nginx 1 worker),"
	echo "wrk to core 1. Segment: 1 MiB; playlist: a 600-segment VOD media playlist ($(stat -c %s "$OUT/v0/index.m3u8") bytes, identity)."
	echo
	echo "Medians of $ROUNDS interleaved rounds; every round's req/s in the last column."
	echo
	echo "| case | req/s | MB/s | p99 ms | runs, req/s |"
	echo "|---|---:|---:|---:|---|"
	for kind in segment playlist; do
		for who in reel signed unsigned nginx; do
			echo "| $who $kind | ${RPS[$who $kind]} | ${MBS[$who $kind]} | ${P99[$who $kind]} | ${RUNS_RPS[$who $kind]% } |"
		done
	done
	echo
	echo "| ratio (req/s) | value | target | |"
	echo "|---|---:|---:|---|"
	r=$(ratio "${RPS[signed segment]}" "${RPS[unsigned segment]}")
	echo "| signed / unsigned, segment | $r | 0.95 | $(meets "$r" 0.95) |"
	r=$(ratio "${RPS[signed playlist]}" "${RPS[unsigned playlist]}")
	echo "| signed / unsigned, playlist | $r | 0.95 | $(meets "$r" 0.95) |"
	r=$(ratio "${RPS[reel segment]}" "${RPS[nginx segment]}")
	echo "| reel / nginx secure_link, segment | $r | 0.9 | $(meets "$r" 0.9) |"
	r=$(ratio "${RPS[reel playlist]}" "${RPS[nginx playlist]}")
	echo "| reel / nginx secure_link, playlist | $r | 0.6 | $(meets "$r" 0.6) |"
} >"$DOC.new"
mv "$DOC.new" "$DOC"
cat "$DOC"
