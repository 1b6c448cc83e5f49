#!/usr/bin/env bash
# bench/run.sh: reel's benchmarks, each a ratio against a reference measured
# in the same run on the same machine and disk. `make bench` builds bin/reel
# and runs this; the results go to stdout and to docs/benchmarks.md.
#
#   1. Ingest throughput: one large upload (BENCH_SIZE_GIB, default 2) to
#      reel and to bench/refserver (MultipartReader + NextPart + io.Copy),
#      3 runs each, interleaved, medians; dd as the disk's durable rate.
#   2. Ingest memory: peak RSS (VmHWM) of a fresh reel that received the
#      large upload against a fresh reel that received 100 MiB.
#   3. Ladder: a 30 s 1080p30 clip, upload-complete (201) to status ready,
#      against one hand-written single-pass ffmpeg command for the same
#      ladder; 3 runs each, interleaved, medians; wall and CPU seconds.
#
# Environment: BENCH_SIZE_GIB (default 2, decimals allowed) sizes the
# large upload; REEL (default bin/reel) is the binary under test.
# Generated inputs live in bench/out/ (gitignored) and are removed at exit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C # a dot for decimals, in EPOCHREALTIME, awk and sort

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
SIZE_GIB=${BENCH_SIZE_GIB:-2}
RUNS=3
DOC=$ROOT/docs/benchmarks.md
SMALL_BYTES=$((100 << 20)) # the small upload of the memory benchmark
CLIP_SECONDS=30

started=$EPOCHSECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# minimum X...: the smallest value.
minimum() { printf '%s\n' "$@" | sort -g | head -n 1; }
# go_secs DURATION: seconds in a Go duration string such as 1m2.5s or 850ms.
go_secs() {
	awk -v d="$1" 'BEGIN {
		while (match(d, /^[0-9.]+(h|m|s|ms|us|µs|ns)/)) {
			tok = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
			n = tok + 0; u = tok; sub(/^[0-9.]+/, "", u)
			s += n * (u == "h" ? 3600 : u == "m" ? 60 : u == "s" ? 1 : u == "ms" ? 1e-3 : u == "ns" ? 1e-9 : 1e-6)
		}
		printf "%.6g", s
	}'
}

[[ -x $REEL ]] || die "$REEL not found: run 'make build' (or 'make bench')"
for tool in curl ffmpeg ffprobe go awk; do
	command -v "$tool" >/dev/null || die "$tool not found"
done

SIZE_BYTES=$(awk -v g="$SIZE_GIB" 'BEGIN { printf "%d", g * 1073741824 }')
((SIZE_BYTES >= SMALL_BYTES)) || die "BENCH_SIZE_GIB=$SIZE_GIB is below the $((SMALL_BYTES >> 20)) MiB of the small upload"
SIZE_LABEL="$SIZE_GIB GiB"
SMALL_LABEL="$((SMALL_BYTES >> 20)) MiB"

mkdir -p "$ROOT/bench/out"
WORK=$(mktemp -d "$ROOT/bench/out/run.XXXXXX")
SERVER_PIDS=()
cleanup() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Room on the benchmarked disk: the file, one stored copy at a time, the
# dd copy, and the ladder's clip and outputs; 3× the file plus 1 GiB.
need=$((3 * SIZE_BYTES + (1 << 30)))
avail=$(df --output=avail -B1 "$WORK" | tail -n 1 | tr -d ' ')
if ((avail < need)); then
	die "not enough free space under $WORK: $((avail >> 20)) MiB free, $((need >> 20)) MiB needed (3x the ${SIZE_LABEL} file + 1 GiB). Free some space or set BENCH_SIZE_GIB lower."
fi
log "work dir $WORK ($((avail >> 30)) GiB free on $(df --output=source "$WORK" | tail -n 1))"

# ---------------------------------------------------------------- servers

# start_server LOG CMD...: runs CMD in the background with stderr to LOG
# and waits for its "addr=http://..." line. Sets SERVER_PID and SERVER_URL.
start_server() {
	local logf=$1
	shift
	"$@" 2>"$logf" &
	SERVER_PID=$!
	SERVER_PIDS+=("$SERVER_PID")
	SERVER_URL=
	local i
	for ((i = 0; i < 300; i++)); do
		SERVER_URL=$(sed -n 's/.*addr=\(http:\/\/[0-9.:]*\).*/\1/p' "$logf" | head -n 1)
		[[ -n $SERVER_URL ]] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logf" >&2; die "server exited: $*"; }
		sleep 0.05
	done
	die "server did not start in 15 s: $*"
}

# stop_server PID: SIGINT, then wait for it to exit.
stop_server() {
	kill -INT "$1"
	wait "$1" || true
	local keep=() pid
	for pid in "${SERVER_PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
	SERVER_PIDS=("${keep[@]}")
}

# start_reel DATA WORKERS: a fresh reel server. Sets SERVER_PID and SERVER_URL.
start_reel() {
	start_server "$1.log" "$REEL" serve --data "$1" --addr 127.0.0.1:0 \
		--max-upload-size 100GiB --workers "$2"
}


# cpu_ticks PID: clock ticks of CPU the process used itself plus those of
# its children that it has waited for (utime+stime+cutime+cstime): reel
# waits for every ffprobe and ffmpeg it runs, so a delta around a transcode
# is the transcode's CPU, Go side included.
cpu_ticks() {
	# Fields after the ")" that ends the command name: utime is the 12th.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}
CLK_TCK=$(getconf CLK_TCK)


# show_cmd ARG...: the command as one line a shell would read back, with
# the work dir's path left out.
show_cmd() {
	local a s=
	for a in "$@"; do
		a=${a#"$WORK/"}
		if [[ $a =~ ^[A-Za-z0-9_./:=,+%@-]+$ ]]; then
			s+="${s:+ }$a"
		else
			s+="${s:+ }'$a'" # no argument here holds a single quote
		fi
	done
	echo "$s"
}

# http_get URL PATH: sets HTTP_RESPONSE to the whole response (headers
# and body) of GET PATH, through bash's /dev/tcp: no process started.
http_get() {
	local hp=${1#http://} fd
	exec {fd}<>"/dev/tcp/${hp%:*}/${hp##*:}"
	printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$hp" >&"$fd"
	IFS= read -r -d '' -u "$fd" HTTP_RESPONSE || true # stops at EOF: the server closes
	exec {fd}>&-
}
# SLEEP_FD never has data: `read -t 0.1 -u $SLEEP_FD` sleeps 0.1 s in bash.
exec {SLEEP_FD}<> <(:)


# upload URL FILE: POSTs FILE as the multipart part "file" and prints
# "SECONDS BODY" (curl's time_total, to the last byte of the response).
upload() {
	local resp=$WORK/resp.json out code secs
	out=$(curl -sS -o "$resp" -w '%{http_code} %{time_total}' \
		-F "file=@$2;type=application/octet-stream" "$1/api/videos")
	read -r code secs <<<"$out"
	[[ $code == 201 ]] || die "upload to $1 answered $code: $(head -c 500 "$resp")"
	echo "$secs $(tr -d '\n' <"$resp")"
}


log "building bench/refserver"
go build -o "$WORK/refserver" ./bench/refserver

# ---------------------------------------------------------------- inputs

BIG=$WORK/upload.bin
SMALL=$WORK/small.bin
log "generating the $SIZE_LABEL upload ($SIZE_BYTES bytes of /dev/urandom)"
head -c "$SIZE_BYTES" /dev/urandom >"$BIG"
head -c "$SMALL_BYTES" "$BIG" >"$SMALL"

CLIP=$WORK/clip.mp4
# The ladder's source: 30 s of 1080p30 test pattern with a 440 Hz tone,
# encoded quickly at high quality (not measured).
CLIP_CMD=(ffmpeg -nostdin -y -loglevel error
	-f lavfi -i "testsrc2=size=1920x1080:rate=30"
	-f lavfi -i "sine=frequency=440:sample_rate=48000"
	-t "$CLIP_SECONDS" -map 0:v -map 1:a
	-c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p
	-c:a aac -b:a 128k -movflags +faststart "$CLIP")
log "generating the ${CLIP_SECONDS} s 1080p clip"
"${CLIP_CMD[@]}"

# ---------------------------------------------------------------- 1. ingest throughput

log "1. ingest throughput: $RUNS x $SIZE_LABEL to reel and to refserver, interleaved"
start_reel "$WORK/reel-ingest" 0
REEL_PID=$SERVER_PID REEL_URL=$SERVER_URL
REF_DIR=$WORK/ref-ingest
start_server "$WORK/refserver.log" "$WORK/refserver" --addr 127.0.0.1:0 --dir "$REF_DIR"
REF_PID=$SERVER_PID REF_URL=$SERVER_URL

# ingest_reel: one timed upload of BIG to reel, whose original is then
# deleted; appends the seconds to reel_up. ingest_ref: the same for the
# refserver, into ref_up. Each starts with no dirty pages left behind.
ingest_reel() {
	local out secs body id
	sync
	out=$(upload "$REEL_URL" "$BIG")
	read -r secs body <<<"$out"
	id=$(json_str id "$body")
	[[ $(json_str status "$body") == queued ]] || die "reel upload not queued: $body"
	delete_video "$REEL_URL" "$id"
	reel_up+=("$secs")
}
ingest_ref() {
	local out secs body
	sync
	out=$(upload "$REF_URL" "$BIG")
	read -r secs body <<<"$out"
	rm -f "$REF_DIR"/upload-*
	ref_up+=("$secs")
}
mbps() { fmt 0 "$(calc "$SIZE_BYTES / $1 / 1e6")"; }

# One untimed upload to each first: the first large write of a run is
# slower on this kind of disk whoever does it.
reel_up=() ref_up=()
ingest_reel
ingest_ref
log "   warm-up: reel $(mbps "${reel_up[0]}") MB/s, ref $(mbps "${ref_up[0]}") MB/s (not counted)"
reel_up=() ref_up=()
# Interleaved, alternating who goes first: reel, ref; ref, reel; ...
for ((i = 1; i <= RUNS; i++)); do
	if ((i % 2)); then ingest_reel; ingest_ref; else ingest_ref; ingest_reel; fi
	log "   run $i: reel ${reel_up[-1]} s, $(mbps "${reel_up[-1]}") MB/s; ref ${ref_up[-1]} s, $(mbps "${ref_up[-1]}") MB/s"
done
stop_server "$REEL_PID"
stop_server "$REF_PID"

# The disk itself: the same bytes copied by dd and made durable (fsync).
# Neither server fsyncs, so uploads may beat this: the page cache absorbs
# them, as it would in production.
dd_secs=()
for ((i = 1; i <= RUNS; i++)); do
	sync
	t0=$(now)
	dd if="$BIG" of="$WORK/dd.out" bs=4M conv=fsync status=none
	t1=$(now)
	dd_secs+=("$(calc "$t1 - $t0")")
	rm -f "$WORK/dd.out"
done

reel_up_med=$(median "${reel_up[@]}")
ref_up_med=$(median "${ref_up[@]}")
dd_med=$(median "${dd_secs[@]}")
reel_mbps=$(calc "$SIZE_BYTES / $reel_up_med / 1e6")
ref_mbps=$(calc "$SIZE_BYTES / $ref_up_med / 1e6")
dd_mbps=$(calc "$SIZE_BYTES / $dd_med / 1e6")
ingest_ratio=$(calc "$reel_mbps / $ref_mbps")
log "   reel $(fmt 0 "$reel_mbps") MB/s, ref $(fmt 0 "$ref_mbps") MB/s, ratio $(fmt 2 "$ingest_ratio"); dd+fsync $(fmt 0 "$dd_mbps") MB/s"

# ---------------------------------------------------------------- 2. ingest memory

# mem_run FILE: sets RSS_KIB to the peak RSS of a fresh reel that
# received FILE once.
mem_run() {
	local data=$WORK/reel-mem
	start_reel "$data" 0
	sync
	upload "$SERVER_URL" "$1" >/dev/null
	RSS_KIB=$(peak_rss_kib "$SERVER_PID")
	stop_server "$SERVER_PID"
	rm -rf "$data" "$data.log"
}
log "2. ingest memory: peak RSS of a fresh reel per upload"
mem_run "$SMALL"
rss_small=$RSS_KIB
mem_run "$BIG"
rss_big=$RSS_KIB
rss_diff=$(calc "($rss_big - $rss_small) / 1024")
log "   $SMALL_LABEL: $(fmt 1 "$(calc "$rss_small / 1024")") MiB, $SIZE_LABEL: $(fmt 1 "$(calc "$rss_big / 1024")") MiB, difference $(fmt 1 "$rss_diff") MiB"

# ---------------------------------------------------------------- 3. ladder

# The ladder reel plans for a 1080p30 source, as the API reports it
# (name width x height, smallest first). The reference below is written
# for this ladder; a different one from reel is reported as a mismatch.
EXPECTED_LADDER="360p 640x360, 480p 854x480, 720p 1280x720, 1080p 1920x1080"

# ref_ladder IN OUT: the reference written by hand (ref_ladder_args, in
# bench/lib.sh): the same ladder, the same encoder settings, one process.
ref_ladder() {
	ref_ladder_args "$1" "$2"
	REF_LADDER_CMD=$(show_cmd ffmpeg "${REF_ARGS[@]}")
	ffmpeg "${REF_ARGS[@]}"
}

log "3. ladder: $RUNS x ${CLIP_SECONDS} s 1080p30 clip, reel (--workers 1) and the reference, interleaved"
start_reel "$WORK/reel-ladder" 1
REEL_PID=$SERVER_PID REEL_URL=$SERVER_URL
reel_wall=() reel_cpu=() ref_wall=() ref_cpu=() reel_other=() ref_other=() reel_ladder=
TIMEFORMAT='%R %U %S'
# ladder_reel: uploads the clip to reel and times it from the 201 to
# status ready; appends to reel_wall, reel_cpu and reel_other.
ladder_reel() {
	local out secs body id t0 t1 c0 c1 b0 b1
	out=$(upload "$REEL_URL" "$CLIP")
	read -r secs body <<<"$out"
	id=$(json_str id "$body")
	# The clock starts at the 201: the original is stored and queued.
	t0=$(now) c0=$(cpu_ticks "$REEL_PID") b0=$(busy_ticks)
	# Poll without starting a process per poll (no curl, no sleep), so
	# that polling takes next to no CPU from the transcode it times.
	while :; do
		http_get "$REEL_URL" "/api/videos/$id"
		[[ $HTTP_RESPONSE =~ \"status\":\"([a-z]+)\" ]] || die "bad poll response: ${HTTP_RESPONSE:0:500}"
		case ${BASH_REMATCH[1]} in
		ready) break ;;
		failed) die "reel failed to transcode the clip: $(json_str error "$HTTP_RESPONSE")" ;;
		esac
		read -r -t 0.1 -u "$SLEEP_FD" || true
	done
	t1=$(now) c1=$(cpu_ticks "$REEL_PID") b1=$(busy_ticks)
	body=$(curl -sS "$REEL_URL/api/videos/$id")
	reel_wall+=("$(calc "$t1 - $t0")")
	reel_cpu+=("$(calc "($c1 - $c0) / $CLK_TCK")")
	reel_other+=("$(calc "($b1 - $b0 - ($c1 - $c0)) / $CLK_TCK")")
	reel_ladder=$(grep -o '"name":"[^"]*","width":[0-9]*,"height":[0-9]*' <<<"$body" |
		sed 's/"name":"\([^"]*\)","width":\([0-9]*\),"height":\([0-9]*\)/\1 \2x\3/' | paste -sd, | sed 's/,/, /g')
	delete_video "$REEL_URL" "$id"
	log "   reel run $i: $(fmt 2 "${reel_wall[-1]}") s wall, $(fmt 1 "${reel_cpu[-1]}") s CPU, $(fmt 1 "${reel_other[-1]}") s CPU of other processes"
}

# ladder_ref: runs the reference once; appends to ref_wall, ref_cpu and
# ref_other.
ladder_ref() {
	local out=$WORK/ref-ladder b0 b1 wall user sys
	rm -rf "$out"
	b0=$(busy_ticks)
	{ time ref_ladder "$CLIP" "$out" 2>"$WORK/ref-ladder.err" || {
		cat "$WORK/ref-ladder.err" >&2
		die "the reference ffmpeg command failed"
	}; } 2>"$WORK/ref-time.txt"
	b1=$(busy_ticks)
	read -r wall user sys <"$WORK/ref-time.txt"
	ref_wall+=("$wall")
	ref_cpu+=("$(calc "$user + $sys")")
	ref_other+=("$(calc "($b1 - $b0) / $CLK_TCK - $user - $sys")")
	rm -rf "$out"
	log "   ref  run $i: $(fmt 2 "$wall") s wall, $(fmt 1 "${ref_cpu[-1]}") s CPU, $(fmt 1 "${ref_other[-1]}") s CPU of other processes"
}

# Interleaved, alternating who goes first, as for ingest.
for ((i = 1; i <= RUNS; i++)); do
	if ((i % 2)); then ladder_reel; ladder_ref; else ladder_ref; ladder_reel; fi
done
# reel's own view, from its log: ffprobe plus the ladder's ffmpeg, and
# the whole transcode (ffprobe to poster and master playlist).
ladder_secs=()
while read -r d; do ladder_secs+=("$(go_secs "$d")"); done < <(
	sed -n 's/.*msg="transcoded ladder".* elapsed=\([^ ]*\).*/\1/p' "$WORK/reel-ladder.log")
mapfile -t worker_secs < <(sed -n 's/.*msg=transcoded .*seconds=\([0-9.]*\).*/\1/p' "$WORK/reel-ladder.log")
stop_server "$REEL_PID"

reel_wall_med=$(median "${reel_wall[@]}")
ref_wall_med=$(median "${ref_wall[@]}")
reel_cpu_med=$(median "${reel_cpu[@]}")
ref_cpu_med=$(median "${ref_cpu[@]}")
ladder_ratio=$(calc "$reel_wall_med / $ref_wall_med")
cpu_ratio=$(calc "$reel_cpu_med / $ref_cpu_med")
ladder_note=
if [[ $reel_ladder != "$EXPECTED_LADDER" ]]; then
	ladder_note="**Ladder mismatch:** reel encoded \`$reel_ladder\`, the reference \`$EXPECTED_LADDER\`; the ratio compares different work."
	log "   WARNING: reel's ladder ($reel_ladder) is not the reference's ($EXPECTED_LADDER)"
fi
log "   reel $(fmt 2 "$reel_wall_med") s, ref $(fmt 2 "$ref_wall_med") s, ratio $(fmt 3 "$ladder_ratio")"

# ---------------------------------------------------------------- report

elapsed=$((EPOCHSECONDS - started))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
best_ratio=$(calc "$(minimum "${reel_wall[@]}") / $(minimum "${ref_wall[@]}")")
runs() { local x s=; for x in "$@"; do s+="${s:+, }$(fmt 2 "$x")"; done; echo "$s"; }
mbps_runs() { local x s=; for x in "$@"; do s+="${s:+, }$(fmt 0 "$(calc "$SIZE_BYTES / $x / 1e6")")"; done; echo "$s"; }

cpu_model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
disk_dev=$(df --output=source,fstype "$WORK" | tail -n 1 | tr -s ' ')
go_version=$(go version | sed 's/^go version //')
ffmpeg_version=$(ffmpeg -version | head -n 1 | sed 's/ Copyright.*//')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain 2>/dev/null) ]]; then commit+=" (with uncommitted changes)"; fi

ingest_ok=$(verdict "$ingest_ratio >= 0.9")
mem_ok=$(verdict "$rss_diff <= 32")
ladder_ok=$(verdict "$ladder_ratio <= 1.05")
# A ladder run shares 2 cores with nothing else only if other processes
# took little CPU meanwhile; otherwise its wall time says more about them.
other_med=$(median "${reel_other[@]}" "${ref_other[@]}")
if awk "BEGIN { exit !($other_med > 0.1 * $ref_cpu_med) }"; then
	ladder_ok="not judged: busy machine"
	ladder_note+="${ladder_note:+ }**Busy machine:** other processes took a median $(fmt 1 "$other_med") s of CPU during each ladder run (the reference itself takes $(fmt 1 "$ref_cpu_med") s), so the wall times measure the contention more than reel; the CPU ratio is the steadier figure. Run \`make bench\` again on an idle machine."
fi

table=$(
	cat <<EOF
| benchmark | reel | reference | reel / reference | target | |
|---|---:|---:|---:|---|---|
| ingest, ${SIZE_LABEL} multipart upload | $(fmt 0 "$reel_mbps") MB/s | $(fmt 0 "$ref_mbps") MB/s (refserver) | $(fmt 2 "$ingest_ratio") | ≥ 0.90 | $ingest_ok |
| ingest, disk durable write (dd, fsync) | | $(fmt 0 "$dd_mbps") MB/s | | for scale | |
| ingest, peak RSS after ${SIZE_LABEL} | $(fmt 1 "$(calc "$rss_big / 1024")") MiB | $(fmt 1 "$(calc "$rss_small / 1024")") MiB (reel after $SMALL_LABEL) | $(awk -v x="$rss_diff" 'BEGIN { printf "%+.1f", x }') MiB | ≤ +32 MiB | $mem_ok |
| ladder, ${CLIP_SECONDS} s 1080p30, wall | $(fmt 2 "$reel_wall_med") s | $(fmt 2 "$ref_wall_med") s (one ffmpeg) | $(fmt 3 "$ladder_ratio") | ≤ 1.05 | $ladder_ok |
| ladder, ${CLIP_SECONDS} s 1080p30, CPU (user+sys) | $(fmt 1 "$reel_cpu_med") s | $(fmt 1 "$ref_cpu_med") s | $(fmt 3 "$cpu_ratio") | for scale | |
EOF
)

echo
echo "== reel benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s) =="
echo "$table"
[[ -n $ladder_note ]] && echo "$ladder_note"
echo "ladder, best of $RUNS: reel / reference wall $(fmt 3 "$best_ratio"); load average $load_start at the start, $load_end at the end"
echo "written to ${DOC#"$ROOT/"}"

mkdir -p "$(dirname "$DOC")"
cat >"$DOC" <<EOF
# Benchmarks

Generated by \`make bench\` (\`bench/run.sh\`); do not edit by hand, run it
again. Every figure is a ratio against a reference measured in the same
run on the same machine and disk, so the ratios travel between machines
better than the absolute numbers. Medians of $RUNS runs, reel and reference
interleaved with the order alternating (reel first in odd runs). MB/s are
10^6 bytes per second.

Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit; the whole run took ${elapsed} s.

## Results

$table
${ladder_note:+
$ladder_note
}
Runs, in order:

- ingest, reel: $(mbps_runs "${reel_up[@]}") MB/s ($(runs "${reel_up[@]}") s)
- ingest, refserver: $(mbps_runs "${ref_up[@]}") MB/s ($(runs "${ref_up[@]}") s)
- ingest, dd with fsync: $(mbps_runs "${dd_secs[@]}") MB/s
- ladder, reel wall: $(runs "${reel_wall[@]}") s; CPU: $(runs "${reel_cpu[@]}") s; CPU of other processes meanwhile: $(runs "${reel_other[@]}") s
- ladder, reference wall: $(runs "${ref_wall[@]}") s; CPU: $(runs "${ref_cpu[@]}") s; CPU of other processes meanwhile: $(runs "${ref_other[@]}") s
- ladder, best of $RUNS, reel / reference wall: $(fmt 3 "$best_ratio")
- ladder, reel's log: ffprobe + ladder ffmpeg (\`transcoded ladder elapsed=\`): $( ((${#ladder_secs[@]})) && runs "${ladder_secs[@]}" || echo none) s; whole transcode, to poster and master (\`transcoded seconds=\`): $( ((${#worker_secs[@]})) && runs "${worker_secs[@]}" || echo none) s
- ladder encoded by reel: $reel_ladder

## What is measured

**Ingest throughput.** One ${SIZE_LABEL} file of random bytes, uploaded with
curl as a multipart/form-data part named \`file\` over loopback, to reel
(\`--workers 0\`, so nothing transcodes) and to \`bench/refserver\`, which
does only \`MultipartReader\`, \`NextPart\` and \`io.Copy\` into a temp file on
the same disk, then a rename. Time is curl's \`time_total\`, to the 201. The
page cache is flushed (\`sync\`) before each upload; the source file stays
cached. Neither server calls fsync, so both can beat the disk's durable
rate, which dd gives for scale. reel's stored original is deleted through
the API between runs. One untimed upload to each server comes first: the
first large write of a run is slower, whoever makes it.

**Ingest memory.** VmHWM (peak RSS) from \`/proc/PID/status\` of a fresh
reel right after it answered one upload, before it is stopped: the
${SIZE_LABEL} upload against a $SMALL_LABEL one. A flat difference means the
upload is streamed, not buffered.

**Ladder.** A ${CLIP_SECONDS} s 1920x1080 30 fps clip (testsrc2 and a sine tone,
x264 ultrafast CRF 18, AAC). reel (\`--workers 1\`) is timed from the
upload's 201 to the first \`GET /api/videos/{id}\` that says \`ready\`
(polled every 100 ms), so its figure includes the job queue's pick-up,
ffprobe, the poster, copying the outputs into the store and the database
updates. The reference is one hand-written ffmpeg command for the same
ladder with the same encoder settings, timed by bash's \`time\`. reel's CPU
is the growth of its own utime+stime plus that of its waited-for children
(ffprobe, ffmpeg) in \`/proc/PID/stat\` over the same interval; the
reference's is ffmpeg's user+sys. "CPU of other processes" is what the
whole machine spent during a run (\`/proc/stat\`) minus the run's own CPU:
when it is more than a few seconds, something else shared the cores and
that run's wall time is inflated; the CPU ratio and the best-of-$RUNS
wall ratio are then the steadier figures.

## Machine

- CPU: $cpu_model, $(nproc) cores (nproc)
- load average (1, 5, 15 min): $load_start at the start, $load_end at the end (it also counts
  tasks waiting on I/O; "CPU of other processes" per ladder run is the sharper sign of contention)
- memory: $mem_total
- kernel: $(uname -sr)
- disk under test: $disk_dev ($ROOT/bench/out)
- Go: $go_version
- ffmpeg: $ffmpeg_version

## Commands

\`\`\`sh
make bench                  # or: BENCH_SIZE_GIB=0.5 make bench for a quick run

# inputs
head -c $SIZE_BYTES /dev/urandom > upload.bin
head -c $SMALL_BYTES upload.bin > small.bin
$(show_cmd "${CLIP_CMD[@]}")

# servers
bin/reel serve --data DIR --addr 127.0.0.1:0 --max-upload-size 100GiB --workers 0   # ingest
bin/reel serve --data DIR --addr 127.0.0.1:0 --max-upload-size 100GiB --workers 1   # ladder
refserver --addr 127.0.0.1:0 --dir DIR                                                # go build ./bench/refserver

# 1. ingest throughput: one untimed upload to each server, then $RUNS each, interleaved
sync; curl -sS -o resp.json -w '%{http_code} %{time_total}' -F 'file=@upload.bin;type=application/octet-stream' URL/api/videos
sync; dd if=upload.bin of=dd.out bs=4M conv=fsync status=none

# 2. ingest memory: one upload to a fresh reel, then
awk '/^VmHWM:/ { print \$2 }' /proc/PID/status

# 3. ladder: reel, upload clip.mp4 as above, then poll every 100 ms
curl -sS URL/api/videos/ID
# 3. ladder: the reference
$REF_LADDER_CMD
\`\`\`
EOF
log "done in ${elapsed} s"
