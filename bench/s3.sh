#!/usr/bin/env bash
# bench/s3.sh: reel's S3 benchmarks, each against a reference measured in
# the same run on the same machine, against the same versitygw (a real S3
# server, posix backend on local disk). `make bench` runs it after
# bench/run.sh; the results go to stdout and to docs/benchmarks-s3.md.
#
#   1. S3 ingest: one large upload (BENCH_S3_GIB, default 4) through
#      POST /api/videos of a reel whose originals are in versitygw, against
#      bench/s3ref uploading the same file straight into the same bucket by
#      multipart upload, same part size, same parts in flight. 3 runs each,
#      interleaved, medians.
#   2. Ingest memory: peak RSS (VmHWM) of a fresh reel after the large
#      upload (the ingest runs above, one fresh reel each) and after 8
#      concurrent uploads of 1/8 of it, against a fresh reel after 100 MiB.
#   3. Serving from S3, hit path: the segments of a real transcoded clip
#      requested through reel's /play/ URLs (warm local cache) and from
#      nginx serving copies of the same files from disk, with wrk rotating
#      over the same URL paths; server on CPU 0, wrk on CPU 1. 3 runs
#      each, interleaved, medians.
#
# Environment: BENCH_S3_GIB (default 4, decimals allowed, at least 0.25)
# sizes the large upload; REEL (default bin/reel) is the binary under test;
# BENCH_S3_DIR picks the folder for the work dir (default: whichever of
# bench/out, /var/tmp and $TMPDIR has the most free space). Everything,
# the versitygw data included, lives in one work dir removed at exit.
# Installs wrk and nginx (Debian) and versitygw (go install) if missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C # a dot for decimals, in EPOCHREALTIME, awk and sort

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
SIZE_GIB=${BENCH_S3_GIB:-4}
RUNS=3
DOC=$ROOT/docs/benchmarks-s3.md
SMALL_BYTES=$((100 << 20)) # the small upload of the memory benchmark
CONCURRENT=8               # uploads at once in the memory benchmark
PART_UNIT=$((8 << 20))     # reel's --part-size: the pool's buffer size
PART_BUFFERS=32            # reel's --part-buffers
IN_FLIGHT=2                # parts of one upload in flight in reel (s3.Options default)
CLIP_SECONDS=60
WRK_SECS=10
WRK_CONNS=16
WRK_TIMEOUT=10 # seconds; wrk's default of 2 counts a starved server's slow answers as errors
MAX_SECS=600 # the longest any one upload or transcode may take before the run fails
VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw@v1.8.0
REGION=us-east-1
ORIG_BUCKET=reel-originals
OUT_BUCKET=reel-outputs

started=$EPOCHSECONDS
uptime_start=$(uptime)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# commas X...: the values, comma-separated.
commas() { local IFS=,; sed 's/,/, /g' <<<"$*"; }
# minimum X... and maximum X...: the smallest and the largest value.
minimum() { printf '%s\n' "$@" | awk 'NR == 1 || $1 < m { m = $1 } END { printf "%.6g", m }'; }
maximum() { printf '%s\n' "$@" | awk 'NR == 1 || $1 > m { m = $1 } END { printf "%.6g", m }'; }
# runs DIGITS X...: the values rounded, comma-separated.
runs() {
	local d=$1 s= x
	shift
	for x in "$@"; do s+="${s:+, }$(fmt "$d" "$x")"; done
	echo "$s"
}
mib() { fmt 1 "$(calc "$1 / 1024")"; } # KiB → MiB, one decimal
# noise OTHER_CPU WALL: adds a measured run's CPU of other processes and
# its wall time to the totals that tell how noisy the whole run was.
OTHER_SUM=0 WALL_SUM=0
noise() { OTHER_SUM=$(calc "$OTHER_SUM + $1") WALL_SUM=$(calc "$WALL_SUM + $2"); }

# ---------------------------------------------------------------- tools

[[ -x $REEL ]] || die "$REEL not found: run 'make build' (or 'make bench')"
for tool in curl ffmpeg go awk sed taskset df; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
SUDO=
[[ $(id -u) == 0 ]] || SUDO=sudo
apt_install() {
	log "installing $* (Debian)"
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null ||
		die "could not install $*"
}
command -v wrk >/dev/null || apt_install wrk
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || { apt_install nginx; NGINX=$(command -v nginx || echo /usr/sbin/nginx); }

# versitygw: on PATH, in GOBIN or in GOPATH/bin, as s3test finds it.
find_versitygw() {
	command -v versitygw && return 0
	local d
	for d in "$(go env GOBIN)" "$(go env GOPATH | cut -d: -f1)/bin"; do
		[[ -n $d && -x $d/versitygw ]] && { echo "$d/versitygw"; return 0; }
	done
	return 1
}
if ! VGW_BIN=$(find_versitygw); then
	log "installing versitygw: go install $VERSITYGW_MODULE"
	go install "$VERSITYGW_MODULE" || die "could not install versitygw"
	VGW_BIN=$(find_versitygw) || die "versitygw not found after go install"
fi

SIZE_BYTES=$(awk -v g="$SIZE_GIB" 'BEGIN { printf "%d", g * 1073741824 }')
((SIZE_BYTES >= 256 << 20)) || die "BENCH_S3_GIB=$SIZE_GIB is below the minimum of 0.25"
SIZE_LABEL="$SIZE_GIB GiB"
CONC_BYTES=$((SIZE_BYTES / CONCURRENT))
CONC_LABEL="$CONCURRENT × $(fmt 0 "$(calc "$CONC_BYTES / 1048576")") MiB"

# The part size reel uses for the large upload: the size its request
# declares (Content-Length, the file plus a few hundred bytes of form)
# planned into at most 9,500 parts, in whole pool buffers (s3.PartSize).
PART_SIZE=$(((SIZE_BYTES + 1024 + 9499) / 9500))
if ((PART_SIZE < PART_UNIT)); then PART_SIZE=$PART_UNIT; fi
PART_SIZE=$(((PART_SIZE + PART_UNIT - 1) / PART_UNIT * PART_UNIT))
PART_MIB=$((PART_SIZE >> 20))
# Memory targets: what reel's upload path may hold, plus 8 MiB of slack.
RSS_BOUND_MIB=$((PART_MIB * (IN_FLIGHT + 1) + 8))
conc_buffers=$((CONCURRENT * (IN_FLIGHT + 1)))
if ((conc_buffers > PART_BUFFERS)); then conc_buffers=$PART_BUFFERS; fi
CONC_BOUND_MIB=$(((PART_UNIT >> 20) * conc_buffers + 8))

# ---------------------------------------------------------------- work dir

# The work dir goes on the disk with the most room: versitygw stores every
# object as a file in it.
if [[ -n ${BENCH_S3_DIR:-} ]]; then
	base=$BENCH_S3_DIR
	mkdir -p "$base"
else
	base= best=-1
	for d in "$ROOT/bench/out" /var/tmp "${TMPDIR:-/tmp}"; do
		mkdir -p "$d" 2>/dev/null || continue
		a=$(df --output=avail -B1 "$d" | tail -n 1 | tr -d ' ')
		if ((a > best)); then base=$d best=$a; fi
	done
fi
WORK=$(mktemp -d "$base/s3bench.XXXXXX")
chmod 755 "$WORK"
PIDS=() # every process started here that may outlive a step
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
forget_pid() {
	local keep=() pid
	for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
	PIDS=("${keep[@]}")
}

# Room: the file, its 1/8 and 100 MiB copies, up to twice the large file in
# versitygw while it assembles an upload's parts, 1 GiB for the rest.
need=$((3 * SIZE_BYTES + CONC_BYTES + SMALL_BYTES + (1 << 30)))
avail=$(df --output=avail -B1 "$WORK" | tail -n 1 | tr -d ' ')
if ((avail < need)); then
	die "not enough free space under $WORK: $((avail >> 20)) MiB free, $((need >> 20)) MiB needed. Free some space, set BENCH_S3_DIR elsewhere or BENCH_S3_GIB lower."
fi
DISK=$(df --output=source "$WORK" | tail -n 1)
log "work dir $WORK ($((avail >> 30)) GiB free on $DISK); load average $load_start"

# ---------------------------------------------------------------- helpers

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID: the CPU a process used (utime+stime), in clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# show_cmd ARG...: the command as one line a shell would read back, with
# the work dir's path left out.
show_cmd() {
	local a s=
	for a in "$@"; do
		a=${a#"$WORK/"}
		if [[ $a =~ ^[A-Za-z0-9_./:=,+%@-]+$ ]]; then s+="${s:+ }$a"; else s+="${s:+ }'$a'"; fi
	done
	echo "$s"
}

# stop PID [SIGNAL]: signal (default INT) and wait for the process.
stop() {
	kill "-${2:-INT}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget_pid "$1"
}

# ---------------------------------------------------------------- versitygw

# Random root credentials for this run only; reel and s3ref get them
# through the SDK's standard environment variables.
AK=bench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
SK=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
S3_ENV=(AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_REGION="$REGION")
VGW_DATA=$WORK/versitygw
mkdir -p "$VGW_DATA" "$WORK/versitygw-iam"
for attempt in 1 2 3; do
	port=$(free_port)
	# A minimal environment, as s3test gives it: no VGW_* of the caller.
	env -i PATH="$PATH" HOME="$HOME" ROOT_ACCESS_KEY="$AK" ROOT_SECRET_KEY="$SK" \
		"$VGW_BIN" --port "127.0.0.1:$port" --iam-dir "$WORK/versitygw-iam" --health /health --quiet \
		posix "$VGW_DATA" >"$WORK/versitygw.log" 2>&1 &
	VGW_PID=$!
	PIDS+=("$VGW_PID")
	VGW_URL=
	for ((i = 0; i < 300; i++)); do
		if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true) == 200 ]]; then
			VGW_URL=http://127.0.0.1:$port
			break
		fi
		kill -0 "$VGW_PID" 2>/dev/null || break
		sleep 0.05
	done
	[[ -n $VGW_URL ]] && break
	stop "$VGW_PID" TERM
done
[[ -n $VGW_URL ]] || die "versitygw did not start: $(tail -c 1000 "$WORK/versitygw.log")"
log "versitygw at $VGW_URL, data in $VGW_DATA"

# s3_curl ARGS...: a SigV4-signed request to versitygw (empty body).
s3_curl() {
	curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
		-H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' "$@"
}
for b in "$ORIG_BUCKET" "$OUT_BUCKET"; do
	code=$(s3_curl -o "$WORK/bucket.txt" -w '%{http_code}' -X PUT "$VGW_URL/$b")
	[[ $code == 200 ]] || die "create bucket $b answered $code: $(head -c 500 "$WORK/bucket.txt")"
done
STORE_Q="endpoint=$VGW_URL&region=$REGION"
# stored_bytes: bytes of object data in versitygw's buckets now.
stored_bytes() { du -sb "$VGW_DATA/$ORIG_BUCKET" "$VGW_DATA/$OUT_BUCKET" | awk '{ s += $1 } END { print s }'; }

# ---------------------------------------------------------------- reel

# start_reel DATA WORKERS [CPUS]: a reel on versitygw (pinned to CPUS if
# given), logging to DATA.N.log. Sets REEL_PID and REEL_URL.
REEL_STARTS=0
start_reel() {
	local logf=$1.$((++REEL_STARTS)).log pin=()
	[[ -n ${3:-} ]] && pin=(taskset -c "$3")
	: >"$logf" # exists before the server opens it, for the loop below
	"${pin[@]}" env "${S3_ENV[@]}" "$REEL" serve --data "$1" --addr 127.0.0.1:0 --workers "$2" \
		--originals "s3://$ORIG_BUCKET?$STORE_Q" --outputs "s3://$OUT_BUCKET?$STORE_Q" \
		--part-size "$PART_UNIT" --part-buffers "$PART_BUFFERS" --cache-size 1GiB \
		--max-upload-size 100GiB 2>"$logf" &
	REEL_PID=$!
	PIDS+=("$REEL_PID")
	REEL_URL=
	local i
	for ((i = 0; i < 300; i++)); do
		REEL_URL=$(sed -n 's/.*addr=\(http:\/\/[0-9.:]*\).*/\1/p' "$logf" | head -n 1)
		[[ -n $REEL_URL ]] && return 0
		kill -0 "$REEL_PID" 2>/dev/null || die "reel exited at start: $(tail -c 1000 "$logf")"
		sleep 0.05
	done
	die "reel did not start in 15 s"
}

# upload URL FILE: POSTs FILE as the multipart part "file". Sets UP_SECS
# (curl's time_total, to the 201), UP_ID and UP_CPU (curl's user+sys).
upload() {
	local code user sys
	TIMEFORMAT='%U %S'
	{ time curl -sS --max-time "$MAX_SECS" -o "$WORK/resp.json" -w '%{http_code} %{time_total}' \
		-F "file=@$2;type=application/octet-stream" "$1/api/videos" >"$WORK/curl.out" 2>"$WORK/curl.err"; } \
		2>"$WORK/curl.time" || true
	read -r code UP_SECS <"$WORK/curl.out" || true
	[[ ${code:-} == 201 ]] || die "upload to $1 answered ${code:-nothing}: $(head -c 500 "$WORK/resp.json" 2>/dev/null) $(cat "$WORK/curl.err")"
	read -r user sys <"$WORK/curl.time"
	UP_CPU=$(calc "$user + $sys")
	UP_ID=$(json_str id "$(cat "$WORK/resp.json")")
}


log "building bench/s3ref"
go build -o "$WORK/s3ref" ./bench/s3ref
S3REF_CMD=("$WORK/s3ref" --endpoint "$VGW_URL" --bucket "$ORIG_BUCKET" --key s3ref/upload.bin
	--part-size "$PART_SIZE" --parts-in-flight "$IN_FLIGHT" --delete)

# ---------------------------------------------------------------- inputs

BIG=$WORK/upload.bin
SMALL=$WORK/small.bin
CONC=$WORK/concurrent.bin
log "generating the $SIZE_LABEL upload ($SIZE_BYTES bytes of /dev/urandom)"
head -c "$SIZE_BYTES" /dev/urandom >"$BIG"
head -c "$SMALL_BYTES" "$BIG" >"$SMALL"
head -c "$CONC_BYTES" "$BIG" >"$CONC"

# ---------------------------------------------------------------- 1. ingest

reel_secs=() reel_cpu=() reel_curl_cpu=() reel_vgw_cpu=() reel_other=() rss_big=()
ref_secs=() ref_cpu=() ref_vgw_cpu=() ref_other=()

# ingest_reel RUN: one upload of the large file to a fresh reel.
ingest_reel() {
	local data=$WORK/reel-ingest v0 r0 b0 v1 r1 b1 own
	start_reel "$data" 0
	sync # no dirty pages of the run before
	v0=$(cpu_ticks "$VGW_PID") r0=$(cpu_ticks "$REEL_PID") b0=$(busy_ticks)
	upload "$REEL_URL" "$BIG"
	v1=$(cpu_ticks "$VGW_PID") r1=$(cpu_ticks "$REEL_PID") b1=$(busy_ticks)
	rss_big+=("$(peak_rss_kib "$REEL_PID")")
	reel_secs+=("$UP_SECS")
	reel_cpu+=("$(calc "($r1 - $r0) / $CLK_TCK")")
	reel_curl_cpu+=("$UP_CPU")
	reel_vgw_cpu+=("$(calc "($v1 - $v0) / $CLK_TCK")")
	own=$(calc "${reel_cpu[-1]} + $UP_CPU + ${reel_vgw_cpu[-1]}")
	reel_other+=("$(calc "($b1 - $b0) / $CLK_TCK - $own")")
	noise "${reel_other[-1]}" "$UP_SECS"
	delete_video "$REEL_URL" "$UP_ID"
	stop "$REEL_PID"
	rm -rf "$data" "$data".*.log
	log "   reel  run $1: $(fmt 0 "$(calc "$SIZE_BYTES / $UP_SECS / 1e6")") MB/s ($(fmt 2 "$UP_SECS") s); CPU reel $(fmt 1 "${reel_cpu[-1]}") s, curl $(fmt 1 "$UP_CPU") s, versitygw $(fmt 1 "${reel_vgw_cpu[-1]}") s, other processes $(fmt 1 "${reel_other[-1]}") s; peak RSS $(mib "${rss_big[-1]}") MiB"
}

# ingest_ref RUN: one upload of the large file by s3ref.
ingest_ref() {
	local v0 b0 v1 b1 user sys secs
	sync
	v0=$(cpu_ticks "$VGW_PID") b0=$(busy_ticks)
	TIMEFORMAT='%U %S'
	{ time timeout "$MAX_SECS" env "${S3_ENV[@]}" "${S3REF_CMD[@]}" "$BIG" >"$WORK/s3ref.out" 2>"$WORK/s3ref.err"; } 2>"$WORK/s3ref.time" ||
		die "s3ref failed: $(cat "$WORK/s3ref.err")"
	v1=$(cpu_ticks "$VGW_PID") b1=$(busy_ticks)
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/s3ref.out")
	[[ -n $secs ]] || die "s3ref printed no timing: $(cat "$WORK/s3ref.out")"
	read -r user sys <"$WORK/s3ref.time"
	ref_secs+=("$secs")
	ref_cpu+=("$(calc "$user + $sys")")
	ref_vgw_cpu+=("$(calc "($v1 - $v0) / $CLK_TCK")")
	ref_other+=("$(calc "($b1 - $b0) / $CLK_TCK - ${ref_cpu[-1]} - ${ref_vgw_cpu[-1]}")")
	noise "${ref_other[-1]}" "$secs"
	log "   s3ref run $1: $(fmt 0 "$(calc "$SIZE_BYTES / $secs / 1e6")") MB/s ($(fmt 2 "$secs") s); CPU s3ref $(fmt 1 "${ref_cpu[-1]}") s, versitygw $(fmt 1 "${ref_vgw_cpu[-1]}") s, other processes $(fmt 1 "${ref_other[-1]}") s"
}

log "1. S3 ingest: $RUNS x $SIZE_LABEL through reel and by s3ref into versitygw, $PART_MIB MiB parts, interleaved"
for ((i = 1; i <= RUNS; i++)); do
	# Alternate who goes first, so neither always follows the other's writeback.
	if ((i % 2)); then ingest_reel "$i"; ingest_ref "$i"; else ingest_ref "$i"; ingest_reel "$i"; fi
done
left=$(stored_bytes)
((left < 1 << 20)) || log "   warning: $left bytes left in versitygw's buckets after the deletes"

reel_med=$(median "${reel_secs[@]}")
ref_med=$(median "${ref_secs[@]}")
reel_mbps=$(calc "$SIZE_BYTES / $reel_med / 1e6")
ref_mbps=$(calc "$SIZE_BYTES / $ref_med / 1e6")
ingest_ratio=$(calc "$reel_mbps / $ref_mbps")
ingest_best=$(calc "$(minimum "${ref_secs[@]}") / $(minimum "${reel_secs[@]}")")
gib=$(calc "$SIZE_BYTES / 1073741824")
# CPU per GiB of the whole chain: client, server in between, versitygw.
reel_chain=$(calc "($(median "${reel_cpu[@]}") + $(median "${reel_curl_cpu[@]}") + $(median "${reel_vgw_cpu[@]}")) / $gib")
ref_chain=$(calc "($(median "${ref_cpu[@]}") + $(median "${ref_vgw_cpu[@]}")) / $gib")
log "   reel $(fmt 0 "$reel_mbps") MB/s, s3ref $(fmt 0 "$ref_mbps") MB/s, ratio $(fmt 2 "$ingest_ratio")"

# ---------------------------------------------------------------- 2. memory

rss_idle=() rss_small=() rss_conc=() conc_secs=()
# mem_small: peak RSS of a fresh reel after one 100 MiB upload.
mem_small() {
	local data=$WORK/reel-mem
	start_reel "$data" 0
	rss_idle+=("$(peak_rss_kib "$REEL_PID")")
	upload "$REEL_URL" "$SMALL"
	rss_small+=("$(peak_rss_kib "$REEL_PID")")
	delete_video "$REEL_URL" "$UP_ID"
	stop "$REEL_PID"
	rm -rf "$data" "$data".*.log
}
# mem_concurrent: peak RSS of a fresh reel after CONCURRENT uploads at once.
mem_concurrent() {
	local data=$WORK/reel-mem pids=() ids=() j t0 t1 code
	start_reel "$data" 0
	sync
	t0=$(now)
	for ((j = 0; j < CONCURRENT; j++)); do
		curl -sS --max-time "$MAX_SECS" -o "$WORK/conc-$j.json" -w '%{http_code}' -F "file=@$CONC;type=application/octet-stream" \
			"$REEL_URL/api/videos" >"$WORK/conc-$j.code" 2>"$WORK/conc-$j.err" &
		pids+=("$!")
		PIDS+=("$!")
	done
	for j in "${!pids[@]}"; do
		wait "${pids[j]}" || true
		forget_pid "${pids[j]}"
	done
	t1=$(now)
	rss_conc+=("$(peak_rss_kib "$REEL_PID")")
	conc_secs+=("$(calc "$t1 - $t0")")
	for ((j = 0; j < CONCURRENT; j++)); do
		code=$(cat "$WORK/conc-$j.code")
		[[ $code == 201 ]] || die "concurrent upload $j answered $code: $(head -c 500 "$WORK/conc-$j.json") $(cat "$WORK/conc-$j.err")"
		delete_video "$REEL_URL" "$(json_str id "$(cat "$WORK/conc-$j.json")")"
	done
	stop "$REEL_PID"
	rm -rf "$data" "$data".*.log
}

log "2. ingest memory: peak RSS of fresh reels: $RUNS x 100 MiB, $RUNS x $CONC_LABEL at once (the $SIZE_LABEL runs are those of 1.)"
for ((i = 1; i <= RUNS; i++)); do
	mem_small
	mem_concurrent
	log "   run $i: idle $(mib "${rss_idle[-1]}") MiB, 100 MiB $(mib "${rss_small[-1]}") MiB, $CONC_LABEL $(mib "${rss_conc[-1]}") MiB ($(fmt 0 "$(calc "$CONCURRENT * $CONC_BYTES / ${conc_secs[-1]} / 1e6")") MB/s in all)"
done
rss_small_med=$(median "${rss_small[@]}")
rss_big_med=$(median "${rss_big[@]}")
rss_conc_med=$(median "${rss_conc[@]}")
rss_growth=$(calc "($rss_big_med - $rss_small_med) / 1024")
conc_growth=$(calc "($rss_conc_med - $rss_small_med) / 1024")
log "   100 MiB $(mib "$rss_small_med") MiB, $SIZE_LABEL $(mib "$rss_big_med") MiB (+$(fmt 1 "$rss_growth")), $CONC_LABEL $(mib "$rss_conc_med") MiB (+$(fmt 1 "$conc_growth"))"

# ---------------------------------------------------------------- 3. serving

CLIP=$WORK/clip.mp4
# A 60 s 720p30 clip with film-grain-like noise, so that the ladder's
# segments are as large as real footage makes them (about 0.4, 0.8 and
# 2.2 MB for 360p, 480p, 720p), encoded fast (not measured).
CLIP_CMD=(ffmpeg -nostdin -y -loglevel error
	-f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=10:allf=t"
	-f lavfi -i "sine=frequency=440:sample_rate=48000"
	-t "$CLIP_SECONDS" -map 0:v -map 1:a
	-c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p
	-c:a aac -b:a 128k -movflags +faststart "$CLIP")
log "3. serving from S3: generating and transcoding a ${CLIP_SECONDS} s 720p clip through reel (--workers 1)"
"${CLIP_CMD[@]}"
SERVE_DATA=$WORK/reel-serve
start_reel "$SERVE_DATA" 1
upload "$REEL_URL" "$CLIP"
VIDEO_ID=$UP_ID
t0=$EPOCHSECONDS
while :; do
	body=$(curl -sS "$REEL_URL/api/videos/$VIDEO_ID")
	case $(json_str status "$body") in
	ready) break ;;
	failed) die "reel failed to transcode the clip: $(json_str error "$body")" ;;
	esac
	((EPOCHSECONDS - t0 < MAX_SECS)) || die "the clip was not ready within $MAX_SECS s"
	sleep 0.5
done
log "   transcoded in $((EPOCHSECONDS - t0)) s"
PLAY_URL=$(json_str url "$body")
[[ $PLAY_URL == */master.m3u8 ]] || die "no playback URL in $body"
stop "$REEL_PID"

# The server under test again, alone on CPU 0 (GOMAXPROCS follows), on the
# same data dir: same signing key, same cache folder.
start_reel "$SERVE_DATA" 0 0
BASE=/${PLAY_URL#http://*/}
BASE=${BASE%master.m3u8} # /play/TOKEN/ID/
# Every media segment of every variant, as a player would find them.
PATHS=$WORK/paths.txt
: >"$PATHS"
# uris: the URI lines of a playlist on stdin.
uris() { tr -d '\r' | awk '!/^#/ && NF'; }
while read -r variant; do
	dir=
	[[ $variant == */* ]] && dir=${variant%/*}/
	curl -sS -f "$REEL_URL$BASE$variant" | uris | while read -r seg; do echo "$BASE$dir$seg"; done >>"$PATHS"
done < <(curl -sS -f "$REEL_URL${BASE}master.m3u8" | uris)
SEGMENTS=$(wc -l <"$PATHS")
((SEGMENTS > 0)) || die "no segments found under ${BASE}master.m3u8"
# nginx's copy: the same files under the same URL paths, fetched through
# reel, which fills reel's cache too.
WWW=$WORK/www
while read -r p; do
	mkdir -p "$WWW${p%/*}"
	curl -sS -f -o "$WWW$p" "$REEL_URL$p"
done <"$PATHS"
SEG_BYTES=$(cat "$PATHS" | while read -r p; do stat -c %s "$WWW$p"; done | awk '{ s += $1 } END { print s }')
SEG_MEAN=$(calc "$SEG_BYTES / $SEGMENTS")
# What reel served is what the transcode stored.
first=$(head -n 1 "$PATHS")
cmp -s "$WWW$first" "$VGW_DATA/$OUT_BUCKET/$VIDEO_ID/${first#"$BASE"}" ||
	die "segment ${first#"$BASE"} served by reel differs from the object in versitygw"
log "   $SEGMENTS segments, $(fmt 2 "$(calc "$SEG_MEAN / 1048576")") MiB each on average"

NGX=$WORK/nginx
mkdir -p "$NGX/tmp"
NGINX_PORT=$(free_port)
{
	if [[ $(id -u) == 0 ]]; then echo "user root; # reads the work dir"; fi
	cat <<EOF
daemon off;
worker_processes 1;
pid $NGX/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    # As Debian's stock nginx.conf serves static files.
    sendfile on;
    tcp_nopush on;
    types { video/iso.segment m4s; }
    client_body_temp_path $NGX/tmp;
    proxy_temp_path $NGX/tmp;
    fastcgi_temp_path $NGX/tmp;
    uwsgi_temp_path $NGX/tmp;
    scgi_temp_path $NGX/tmp;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WWW;
    }
}
EOF
} >"$NGX/nginx.conf"
taskset -c 0 "$NGINX" -p "$NGX/" -c "$NGX/nginx.conf" -e stderr 2>"$NGX/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX_URL=http://127.0.0.1:$NGINX_PORT
for ((i = 0; i < 300; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$NGINX_URL$first" || true) == 200 ]] && break
	kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited at start: $(cat "$NGX/error.log")"
	sleep 0.05
done
NGINX_WORKER=$(ps -o pid= --ppid "$NGINX_PID" | tr -d ' ' | head -n 1)
[[ -n $NGINX_WORKER ]] || die "nginx has no worker process"

# wrk's script: rotate over the segment paths; print exact totals.
cat >"$WORK/rotate.lua" <<'EOF'
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d bytes=%d micros=%d errors=%d timeouts=%d p50=%d p99=%d\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
EOF

# wrk_run URL PID SECS: wrk against URL for SECS s; PID is the serving
# process. Sets W_RPS, W_MBPS, W_CPU (server CPU s), W_OTHER, W_P50,
# W_P99 and W_TIMEOUTS. Any error but a timeout (a response slower than
# wrk's --timeout, which a server starved of CPU by other work may give)
# stops the benchmark.
wrk_run() {
	local c0 c1 b0 b1 out line user sys
	c0=$(cpu_ticks "$2") b0=$(busy_ticks)
	TIMEFORMAT='%U %S'
	{ time BENCH_PATHS=$PATHS taskset -c 1 wrk -t1 -c"$WRK_CONNS" -d"${3}s" --timeout "${WRK_TIMEOUT}s" -s "$WORK/rotate.lua" "$1" >"$WORK/wrk.out" 2>&1; } 2>"$WORK/wrk.time" ||
		die "wrk failed: $(cat "$WORK/wrk.out")"
	c1=$(cpu_ticks "$2") b1=$(busy_ticks)
	read -r user sys <"$WORK/wrk.time"
	line=$(grep '^BENCH ' "$WORK/wrk.out") || die "wrk printed no totals: $(cat "$WORK/wrk.out")"
	local req bytes micros errors
	req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
	bytes=$(sed 's/.*bytes=\([0-9]*\).*/\1/' <<<"$line")
	micros=$(sed 's/.*micros=\([0-9]*\).*/\1/' <<<"$line")
	errors=$(sed 's/.*errors=\([0-9]*\).*/\1/' <<<"$line")
	W_TIMEOUTS=$(sed 's/.*timeouts=\([0-9]*\).*/\1/' <<<"$line")
	W_P50=$(calc "$(sed 's/.*p50=\([0-9]*\).*/\1/' <<<"$line") / 1000")
	W_P99=$(calc "$(sed 's/.*p99=\([0-9]*\).*/\1/' <<<"$line") / 1000")
	((errors == 0)) || die "wrk saw $errors errors against $1: $(cat "$WORK/wrk.out")"
	W_RPS=$(calc "$req / ($micros / 1e6)")
	W_MBPS=$(calc "$bytes / ($micros / 1e6) / 1e6")
	W_CPU=$(calc "($c1 - $c0) / $CLK_TCK")
	W_OTHER=$(calc "($b1 - $b0) / $CLK_TCK - $W_CPU - $user - $sys")
}

log "   warming both (2 s of wrk each)"
wrk_run "$REEL_URL" "$REEL_PID" 2
wrk_run "$NGINX_URL" "$NGINX_WORKER" 2

serve_reel_rps=() serve_reel_mbps=() serve_reel_cpu=() serve_reel_other=() serve_reel_lat=() serve_reel_to=()
serve_ngx_rps=() serve_ngx_mbps=() serve_ngx_cpu=() serve_ngx_other=() serve_ngx_lat=() serve_ngx_to=()
serve_reel() {
	wrk_run "$REEL_URL" "$REEL_PID" "$WRK_SECS"
	serve_reel_rps+=("$W_RPS") serve_reel_mbps+=("$W_MBPS") serve_reel_cpu+=("$W_CPU") serve_reel_other+=("$W_OTHER")
	serve_reel_lat+=("$(fmt 1 "$W_P50")/$(fmt 1 "$W_P99")") serve_reel_to+=("$W_TIMEOUTS")
	noise "$W_OTHER" "$WRK_SECS"
	log "   reel  run $1: $(fmt 0 "$W_RPS") req/s, $(fmt 0 "$W_MBPS") MB/s, p50/p99 ${serve_reel_lat[-1]} ms; reel CPU $(fmt 1 "$W_CPU") s, other processes $(fmt 1 "$W_OTHER") s"
}
serve_nginx() {
	wrk_run "$NGINX_URL" "$NGINX_WORKER" "$WRK_SECS"
	serve_ngx_rps+=("$W_RPS") serve_ngx_mbps+=("$W_MBPS") serve_ngx_cpu+=("$W_CPU") serve_ngx_other+=("$W_OTHER")
	serve_ngx_lat+=("$(fmt 1 "$W_P50")/$(fmt 1 "$W_P99")") serve_ngx_to+=("$W_TIMEOUTS")
	noise "$W_OTHER" "$WRK_SECS"
	log "   nginx run $1: $(fmt 0 "$W_RPS") req/s, $(fmt 0 "$W_MBPS") MB/s, p50/p99 ${serve_ngx_lat[-1]} ms; nginx CPU $(fmt 1 "$W_CPU") s, other processes $(fmt 1 "$W_OTHER") s"
}
log "   $RUNS x ${WRK_SECS} s of wrk -t1 -c$WRK_CONNS on CPU 1 against reel and nginx on CPU 0, interleaved"
for ((i = 1; i <= RUNS; i++)); do
	if ((i % 2)); then serve_reel "$i"; serve_nginx "$i"; else serve_nginx "$i"; serve_reel "$i"; fi
done
stop "$NGINX_PID" QUIT
stop "$REEL_PID"

reel_rps=$(median "${serve_reel_rps[@]}")
ngx_rps=$(median "${serve_ngx_rps[@]}")
reel_smbps=$(median "${serve_reel_mbps[@]}")
ngx_smbps=$(median "${serve_ngx_mbps[@]}")
serve_ratio=$(calc "$reel_smbps / $ngx_smbps")
# Best of each: the runs least disturbed by other work.
serve_best=$(calc "$(maximum "${serve_reel_mbps[@]}") / $(maximum "${serve_ngx_mbps[@]}")")
# Server CPU per GB sent, from the medians of each run's own ratio.
cpu_per_gb() {
	local -n cpu=$1 mbps=$2
	local k vals=()
	for k in "${!cpu[@]}"; do vals+=("$(calc "${cpu[k]} / (${mbps[k]} * $WRK_SECS / 1000)")"); done
	median "${vals[@]}"
}
reel_cpu_gb=$(cpu_per_gb serve_reel_cpu serve_reel_mbps)
ngx_cpu_gb=$(cpu_per_gb serve_ngx_cpu serve_ngx_mbps)
log "   reel $(fmt 0 "$reel_rps") req/s $(fmt 0 "$reel_smbps") MB/s, nginx $(fmt 0 "$ngx_rps") req/s $(fmt 0 "$ngx_smbps") MB/s, ratio $(fmt 2 "$serve_ratio")"

# ---------------------------------------------------------------- report

elapsed=$((EPOCHSECONDS - started))
uptime_end=$(uptime)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# (|| true: a reader stopping early fails the pipeline under pipefail)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1 || true)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
go_version=$(go version | sed 's/^go version //')
vgw_version=$(go version -m "$VGW_BIN" 2>/dev/null | awk '$1 == "mod" { print $3; exit }' || true)
nginx_version=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //' || true)
wrk_version=$(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//' || true) # wrk -v exits 1
curl_version=$(curl --version | head -n 1 | cut -d' ' -f1-2 || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain 2>/dev/null) ]]; then commit+=" (with uncommitted changes)"; fi
# The load was "high" when the 1-minute average at the start reached half
# the CPUs (the end's counts this script's own last minute), or when other
# processes took more than a tenth of the CPUs during the measured runs.
ncpu=$(nproc)
other_share=$(calc "$OTHER_SUM / ($WALL_SUM * $ncpu)")
load_note=
if awk -v a="${load_start%% *}" -v o="$other_share" -v n="$ncpu" 'BEGIN { exit !(a >= n / 2 || o > 0.1) }'; then
	load_note="The machine was busy with other work during this run: load average $load_start at the start on $ncpu CPUs, and other processes took $(fmt 0 "$(calc "$other_share * 100")") % of the CPUs during the measured runs (see \"CPU of other processes\" below). The absolute figures are noisy; the ratios, measured interleaved, less so."
fi

ingest_ok=$(verdict "$ingest_ratio >= 0.9")
rss_ok=$(verdict "$rss_growth <= $RSS_BOUND_MIB")
conc_ok=$(verdict "$conc_growth <= $CONC_BOUND_MIB")
serve_ok=$(verdict "$serve_ratio >= 0.8")
signed() { awk -v x="$1" 'BEGIN { printf "%+.1f", x }'; }

table=$(
	cat <<EOF
| benchmark | reel | reference | ratio | target | |
|---|---:|---:|---:|---|---|
| S3 ingest, ${SIZE_LABEL} upload, ${PART_MIB} MiB parts | $(fmt 0 "$reel_mbps") MB/s (curl → POST /api/videos → versitygw) | $(fmt 0 "$ref_mbps") MB/s (s3ref → versitygw) | $(fmt 2 "$ingest_ratio") | ≥ 0.90 | $ingest_ok |
| S3 ingest, CPU per GiB of the whole chain | $(fmt 2 "$reel_chain") s (curl + reel + versitygw) | $(fmt 2 "$ref_chain") s (s3ref + versitygw) | $(fmt 2 "$(calc "$ref_chain / $reel_chain")") | for scale | |
| peak RSS, ${SIZE_LABEL} upload | $(mib "$rss_big_med") MiB | $(mib "$rss_small_med") MiB (reel, 100 MiB upload) | $(signed "$rss_growth") MiB | ≤ +${RSS_BOUND_MIB} MiB | $rss_ok |
| peak RSS, ${CONC_LABEL} at once | $(mib "$rss_conc_med") MiB | $(mib "$rss_small_med") MiB (reel, 100 MiB upload) | $(signed "$conc_growth") MiB | ≤ +${CONC_BOUND_MIB} MiB | $conc_ok |
| serving from S3, cache hit, ${SEGMENTS} segments of $(fmt 2 "$(calc "$SEG_MEAN / 1048576")") MiB avg | $(fmt 0 "$reel_rps") req/s, $(fmt 0 "$reel_smbps") MB/s | $(fmt 0 "$ngx_rps") req/s, $(fmt 0 "$ngx_smbps") MB/s (nginx) | $(fmt 2 "$serve_ratio") | ≥ 0.80 | $serve_ok |
| serving, server CPU per GB sent | $(fmt 2 "$reel_cpu_gb") s | $(fmt 2 "$ngx_cpu_gb") s (nginx) | $(fmt 2 "$(calc "$ngx_cpu_gb / $reel_cpu_gb")") | for scale | |
EOF
)

echo
echo "== reel S3 benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s) =="
echo "$table"
echo "load average $load_start at the start, $load_end at the end; other processes took $(fmt 0 "$(calc "$other_share * 100")") % of the CPUs during the measured runs${load_note:+ (busy: figures are noisy)}"
echo "written to docs/benchmarks-s3.md"

mb_runs() { # SECS...: MB/s of the large upload per run
	local s= x
	for x in "$@"; do s+="${s:+, }$(fmt 0 "$(calc "$SIZE_BYTES / $x / 1e6")")"; done
	echo "$s"
}
mib_runs() {
	local s= x
	for x in "$@"; do s+="${s:+, }$(mib "$x")"; done
	echo "$s"
}
conc_mb_runs() {
	local s= x
	for x in "$@"; do s+="${s:+, }$(fmt 0 "$(calc "$CONCURRENT * $CONC_BYTES / $x / 1e6")")"; done
	echo "$s"
}

mkdir -p "$(dirname "$DOC")"
cat >"$DOC" <<EOF
# S3 benchmarks

Generated by \`make bench\` (\`bench/s3.sh\`); do not edit by hand, run it
again. Each figure is set against a reference measured in the same run on
the same machine and against the same versitygw (a real S3 server, posix
backend, storing objects on local disk). Medians of $RUNS runs, reel and
reference interleaved, alternating which goes first. MB/s are 10^6 bytes
per second; MiB are 2^20 bytes.

Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit; the whole run took ${elapsed} s.

## Results

$table
${load_note:+
$load_note
}
Runs, in order:

- S3 ingest, reel: $(mb_runs "${reel_secs[@]}") MB/s ($(runs 2 "${reel_secs[@]}") s); CPU of reel $(runs 1 "${reel_cpu[@]}") s, curl $(runs 1 "${reel_curl_cpu[@]}") s, versitygw $(runs 1 "${reel_vgw_cpu[@]}") s; CPU of other processes meanwhile $(runs 1 "${reel_other[@]}") s
- S3 ingest, s3ref: $(mb_runs "${ref_secs[@]}") MB/s ($(runs 2 "${ref_secs[@]}") s); CPU of s3ref $(runs 1 "${ref_cpu[@]}") s, versitygw $(runs 1 "${ref_vgw_cpu[@]}") s; CPU of other processes meanwhile $(runs 1 "${ref_other[@]}") s
- peak RSS of a fresh reel: idle $(mib_runs "${rss_idle[@]}") MiB; after 100 MiB $(mib_runs "${rss_small[@]}") MiB; after ${SIZE_LABEL} $(mib_runs "${rss_big[@]}") MiB; after ${CONC_LABEL} at once $(mib_runs "${rss_conc[@]}") MiB ($(conc_mb_runs "${conc_secs[@]}") MB/s in all)
- S3 ingest, best of $RUNS, reel / s3ref: $(fmt 2 "$ingest_best")
- serving, reel: $(runs 0 "${serve_reel_rps[@]}") req/s, $(runs 0 "${serve_reel_mbps[@]}") MB/s, latency p50/p99 $(commas "${serve_reel_lat[@]}") ms, timeouts (> ${WRK_TIMEOUT} s) $(runs 0 "${serve_reel_to[@]}"); reel's CPU $(runs 1 "${serve_reel_cpu[@]}") s of ${WRK_SECS}; CPU of other processes meanwhile $(runs 1 "${serve_reel_other[@]}") s
- serving, nginx: $(runs 0 "${serve_ngx_rps[@]}") req/s, $(runs 0 "${serve_ngx_mbps[@]}") MB/s, latency p50/p99 $(commas "${serve_ngx_lat[@]}") ms, timeouts (> ${WRK_TIMEOUT} s) $(runs 0 "${serve_ngx_to[@]}"); nginx worker's CPU $(runs 1 "${serve_ngx_cpu[@]}") s of ${WRK_SECS}; CPU of other processes meanwhile $(runs 1 "${serve_ngx_other[@]}") s
- serving, best of $RUNS, reel / nginx: $(fmt 2 "$serve_best")

## What is measured

**S3 ingest.** One ${SIZE_LABEL} file of random bytes. reel (\`--workers 0\`, so
nothing transcodes; originals and outputs in two versitygw buckets)
receives it from curl as the multipart/form-data part \`file\` over
loopback and streams it into a multipart upload: ${PART_MIB} MiB parts (from
the declared length, \`max(8 MiB, ceil(length / 9500))\` in whole pool
buffers), ${IN_FLIGHT} parts in flight while the next fills. Its time is curl's
\`time_total\`, to the 201. The reference, \`bench/s3ref\`, reads the same
file sequentially and uploads it into the same bucket of the same
versitygw with the same SDK settings (aws-sdk-go-v2, checksums "when
required", path-style), the same part size and parts in flight; its time
runs from opening the file to CompleteMultipartUpload's answer. Each reel
run is a fresh server; the stored object is deleted after each run (reel:
\`DELETE /api/videos/{id}\`; s3ref: DeleteObject), and \`sync\` flushes dirty
pages before each. The source file stays in the page cache. CPU is each
process's utime+stime (\`/proc/PID/stat\`, bash's \`time\` for curl and
s3ref); "CPU of other processes" is what the whole machine spent during
the run (\`/proc/stat\`) minus that: work of other users of the machine.
With $ncpu CPUs shared by client, reel and versitygw, throughput follows
the CPU the whole chain spends per byte, hence the CPU row.

**Ingest memory.** VmHWM (peak RSS) from \`/proc/PID/status\` of a fresh
reel right after it answered: the ${SIZE_LABEL} upload (the reel runs of the
ingest benchmark), ${CONCURRENT} concurrent uploads of $(fmt 0 "$(calc "$CONC_BYTES / 1048576")") MiB (${CONCURRENT} curl
processes at once), and one 100 MiB upload as the baseline. The bounds:
one upload holds at most part size × (parts in flight + 1) =
${PART_MIB} MiB × $((IN_FLIGHT + 1)) of part buffers, plus 8 MiB of slack: +${RSS_BOUND_MIB} MiB. ${CONCURRENT} uploads
hold at most ${CONCURRENT} × $((IN_FLIGHT + 1)) buffers of $((PART_UNIT >> 20)) MiB (and the pool of
\`--part-buffers $PART_BUFFERS\` caps the whole process at $((PART_BUFFERS * (PART_UNIT >> 20))) MiB), plus 8 MiB:
+${CONC_BOUND_MIB} MiB. The 100 MiB baseline already fills
$((IN_FLIGHT + 1)) buffers, so the first bound is loose: a flat difference is the
point. Peak RSS also holds garbage not yet collected: Go's collector
(GOGC=100) lets the heap grow to twice its live size before it collects,
and the part buffers are most of the live heap, so the more buffers are
in use, the more room per-request allocations (SDK, net/http) get before
a collection; many uploads at once can show that above their buffers.

**Serving from S3, hit path.** A ${CLIP_SECONDS} s 1280x720 30 fps clip (testsrc2 with
noise, so segments are as large as real footage makes them) uploaded
through reel (\`--workers 1\`) and transcoded into versitygw: ${SEGMENTS} media
segments of all variants, $(fmt 2 "$(calc "$SEG_MEAN / 1048576")") MiB on average. reel is then restarted
on the same data dir pinned to CPU 0 (\`taskset -c 0\`, so GOMAXPROCS is
1), each segment fetched once through its signed \`/play/<token>/<id>/...\`
URL (a cache miss filling reel's disk cache, and the copy nginx serves).
nginx (Debian, \`worker_processes 1\`, \`access_log off\`, \`sendfile on\` and
\`tcp_nopush on\` as in Debian's stock config) serves those copies from a
local folder under the same URL paths, also pinned to CPU 0. wrk, pinned
to CPU 1, rotates over the same ${SEGMENTS} paths in the same order; MB/s
count response bytes, headers included (wrk's own total). Both servers
get 2 s of warm-up first. reel checks the token's HMAC on every request
and adds its CORS and caching headers; nginx does neither. Both the
server and wrk run on one CPU each, so wrk receiving ~1 MB responses on
its one core may limit both: the CPU each server spends per GB sent is the
finer comparison.

## Machine

- CPU: $cpu_model, $ncpu cores (nproc)
- memory: $mem_total
- kernel: $(uname -sr)
- disk of the work dir and versitygw's data: $DISK (under $base)
- load, at the start: \`$uptime_start\`
- load, at the end: \`$uptime_end\`
- Go: $go_version
- versitygw: ${vgw_version:-unknown} ($VGW_BIN)
- nginx: $nginx_version
- wrk: $wrk_version
- curl: $curl_version

## Commands

\`\`\`sh
make bench                  # or: BENCH_S3_GIB=0.5 ./bench/s3.sh for a quick run

# inputs
head -c $SIZE_BYTES /dev/urandom > upload.bin
head -c $SMALL_BYTES upload.bin > small.bin
head -c $CONC_BYTES upload.bin > concurrent.bin
$(show_cmd "${CLIP_CMD[@]}")

# S3 server: two buckets, $ORIG_BUCKET and $OUT_BUCKET
ROOT_ACCESS_KEY=\$AK ROOT_SECRET_KEY=\$SK versitygw --port 127.0.0.1:PORT --iam-dir iam --health /health --quiet posix DATA
curl --aws-sigv4 aws:amz:$REGION:s3 --user \$AK:\$SK -H 'x-amz-content-sha256: e3b0...b855' -X PUT http://127.0.0.1:PORT/$ORIG_BUCKET

# reel (AWS_ACCESS_KEY_ID=\$AK AWS_SECRET_ACCESS_KEY=\$SK AWS_REGION=$REGION in the environment)
bin/reel serve --data DIR --addr 127.0.0.1:0 --workers 0 \\
  --originals 's3://$ORIG_BUCKET?endpoint=http://127.0.0.1:PORT&region=$REGION' \\
  --outputs 's3://$OUT_BUCKET?endpoint=http://127.0.0.1:PORT&region=$REGION' \\
  --part-size $PART_UNIT --part-buffers $PART_BUFFERS --cache-size 1GiB --max-upload-size 100GiB
# (--workers 1 to transcode the clip; then again with --workers 0 under taskset -c 0 to serve it)

# 1. S3 ingest, $RUNS times each, interleaved
sync; curl -sS -o resp.json -w '%{http_code} %{time_total}' -F 'file=@upload.bin;type=application/octet-stream' URL/api/videos
curl -sS -X DELETE URL/api/videos/ID
sync; s3ref --endpoint http://127.0.0.1:PORT --bucket $ORIG_BUCKET --key s3ref/upload.bin --part-size $PART_SIZE --parts-in-flight $IN_FLIGHT --delete upload.bin   # go build ./bench/s3ref

# 2. ingest memory: after one upload (or $CONCURRENT at once, each: curl -F file=@concurrent.bin ...) to a fresh reel
awk '/^VmHWM:/ { print \$2 }' /proc/PID/status

# 3. serving: segment paths from URL/play/TOKEN/ID/master.m3u8 and its media playlists, then
taskset -c 0 nginx -p nginx/ -c nginx/nginx.conf -e stderr
BENCH_PATHS=paths.txt taskset -c 1 wrk -t1 -c$WRK_CONNS -d${WRK_SECS}s --timeout ${WRK_TIMEOUT}s -s rotate.lua http://127.0.0.1:PORT   # reel, then nginx
\`\`\`

nginx.conf:

\`\`\`nginx
$(sed -e "s|$WORK/||g" -e "s|127.0.0.1:$NGINX_PORT|127.0.0.1:PORT|" "$NGX/nginx.conf")
\`\`\`

rotate.lua:

\`\`\`lua
$(cat "$WORK/rotate.lua")
\`\`\`
EOF
log "done in ${elapsed} s"
