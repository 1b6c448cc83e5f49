#!/usr/bin/env bash
# bench/transcode.sh: reel's transcoding benchmarks (issue 5), each a
# ratio against references measured in the same run on the same machine.
# Results go to stdout and to docs/benchmarks-transcode.md.
#
#   1. Full ladder: a generated BENCH_SECONDS s 1080p30 clip, reel
#      (--workers 1) timed from the upload's 201 to status ready, against
#      (a) bench/run.sh's hand-written single-pass ffmpeg command for the
#      same ladder and (b) one ffmpeg per rendition, the four run in
#      parallel, each decoding the source itself, same settings. Wall and
#      CPU seconds.
#   2. Time to first playable: the 201 to the first poll where the API
#      says "playable": true and the master playlist at playback.url
#      answers 200, as a fraction of the same run's time to ready.
#   3. Storyboard + poster: the single-pass reference with an extra
#      storyboard branch (reel's fps=1/N,scale,format=rgb24 to rawvideo)
#      minus the same without it, plus reel's poster command on its own,
#      as a fraction of the reference ladder; CPU seconds.
#
# BENCH_RUNS (default 5) runs of each, interleaved with the order rotating,
# medians. BENCH_SECONDS (default 60) is the clip's length. REEL (default
# bin/reel) is the binary under test. Techniques (polling through
# /dev/tcp, CPU from /proc, CPU of other processes as the busy-machine
# flag) and the reference ladder command come from bench/run.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
RUNS=${BENCH_RUNS:-5}
CLIP_SECONDS=${BENCH_SECONDS:-60}
DOC=$ROOT/docs/benchmarks-transcode.md

started=$EPOCHSECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
uptime_start=$(uptime)
runs() { local x s=; for x in "$@"; do s+="${s:+, }$(fmt 2 "$x")"; done; echo "$s"; }
runs3() { local x s=; for x in "$@"; do s+="${s:+, }$(fmt 3 "$x")"; done; echo "$s"; }

[[ -x $REEL ]] || die "$REEL not found: run 'make build'"
for tool in curl ffmpeg awk; do command -v "$tool" >/dev/null || die "$tool not found"; done
((RUNS >= 1)) || die "BENCH_RUNS must be at least 1"

mkdir -p "$ROOT/bench/out"
WORK=$(mktemp -d "$ROOT/bench/out/transcode.XXXXXX")
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

start_reel() {
	local logf=$1.log i
	"$REEL" serve --data "$1" --addr 127.0.0.1:0 --workers 1 2>"$logf" &
	SERVER_PID=$!
	SERVER_PIDS+=("$SERVER_PID")
	SERVER_URL=
	for ((i = 0; i < 300; i++)); do
		SERVER_URL=$(sed -n 's/.*addr=\(http:\/\/[0-9.:]*\).*/\1/p' "$logf" | head -n 1)
		[[ -n $SERVER_URL ]] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logf" >&2; die "reel exited"; }
		sleep 0.05
	done
	die "reel did not start in 15 s"
}
stop_server() { kill -INT "$1"; wait "$1" || true; SERVER_PIDS=(); }

# utime+stime+cutime+cstime of PID: reel waits for its ffprobe/ffmpeg.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'; }
CLK_TCK=$(getconf CLK_TCK)

show_cmd() {
	local a s=
	for a in "$@"; do
		a=${a//"$WORK/"/}
		if [[ $a =~ ^[A-Za-z0-9_./:=,+%@-]+$ ]]; then s+="${s:+ }$a"; else s+="${s:+ }'$a'"; fi
	done
	echo "$s"
}

# http_get URL PATH: HTTP_RESPONSE is the whole response, via /dev/tcp.
http_get() {
	local hp=${1#http://} fd
	exec {fd}<>"/dev/tcp/${hp%:*}/${hp##*:}"
	printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$hp" >&"$fd"
	IFS= read -r -d '' -u "$fd" HTTP_RESPONSE || true
	exec {fd}>&-
}
exec {SLEEP_FD}<> <(:)

# ---------------------------------------------------------------- input

CLIP=$WORK/clip.mp4
CLIP_CMD=(ffmpeg -nostdin -y -loglevel error
	-f lavfi -i "testsrc2=size=1920x1080:rate=30"
	-f lavfi -i "sine=frequency=440:sample_rate=48000"
	-t "$CLIP_SECONDS" -map 0:v -map 1:a
	-c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p
	-c:a aac -b:a 128k -movflags +faststart "$CLIP")
log "generating the ${CLIP_SECONDS} s 1080p30 clip (untimed)"
"${CLIP_CMD[@]}"

# ---------------------------------------------------------------- references

EXPECTED_LADDER="360p 640x360, 480p 854x480, 720p 1280x720, 1080p 1920x1080"
NAMES=(360p 480p 720p 1080p)
SIZES=(640:360 854:480 1280:720 1920:1080)
MAXRATE=(800k 1400k 2800k 5000k)
BUFSIZE=(1600k 2800k 5600k 10000k)
ABR=(96k 128k 128k 128k)

# reel's storyboard plan (ffmpeg.PlanStoryboard): one thumbnail every
# ceil(duration/100) s, 160 px on the long side (160x90 for 16:9).
SB_INTERVAL=$(awk -v d="$CLIP_SECONDS" 'BEGIN { i = int(d / 100); if (i < d / 100) i++; if (i < 1) i = 1; print i }')
SB_FILTER="fps=1/$SB_INTERVAL,scale=160:90,setsar=1,format=rgb24"

# ref_args OUT STORYBOARD(0|1): the hand-written single-pass ladder
# command (ref_ladder_args, bench/lib.sh, also bench/run.sh's reference),
# optionally with reel's storyboard as a fifth branch of the split and a
# second (rawvideo) output.
ref_args() {
	local branch=
	if (($2)); then branch=$SB_FILTER; fi
	ref_ladder_args "$CLIP" "$1" "$branch"
	ARGS=(ffmpeg "${REF_ARGS[@]}")
}

# rung_args OUT K: one rendition alone, same settings, its own decode.
rung_args() {
	local k=$2
	ARGS=(ffmpeg -nostdin -y -loglevel error -nostats -i "$CLIP"
		-vf "scale=${SIZES[k]}" -map 0:v -map 0:a -map_metadata -1
		-c:v libx264 -preset veryfast -profile:v high -crf 23
		-maxrate:v "${MAXRATE[k]}" -bufsize:v "${BUFSIZE[k]}"
		-g 60 -keyint_min 60 -sc_threshold 0
		-c:a aac -ac 2 -ar 48000 -b:a "${ABR[k]}"
		-max_muxing_queue_size 1024
		-f hls -hls_time 6 -hls_playlist_type vod -hls_flags independent_segments
		-hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4
		-hls_segment_filename "$1/${NAMES[k]}/seg_%05d.m4s"
		"$1/${NAMES[k]}/index.m3u8")
}

# poster_args OUT: reel's poster command (ffmpeg.PosterArgs) for this
# clip: 10 % in, the top rung scaled to 1280 px on its long side.
POSTER_AT=$(awk -v d="$CLIP_SECONDS" 'BEGIN { printf "%.3f", d * 0.10 }')
poster_args() {
	ARGS=(ffmpeg -nostdin -y -loglevel error -ss "$POSTER_AT" -i "$CLIP"
		-map 0:0 -map_metadata -1 -vf "scale=1280:720,setsar=1"
		-frames:v 1 -q:v 3 -update 1 "$1")
}

ref_args "$WORK/ref" 0; REF_CMD=$(show_cmd "${ARGS[@]}")
ref_args "$WORK/ref" 1; REFSB_CMD=$(show_cmd "${ARGS[@]}")
PAR_CMD="mkdir -p ${NAMES[*]/#/par/}"$'\n'
for k in 0 1 2 3; do rung_args "$WORK/par" "$k"; PAR_CMD+="$(show_cmd "${ARGS[@]}") &"$'\n'; done
PAR_CMD+="wait"
poster_args "$WORK/poster.jpg"; POSTER_CMD=$(show_cmd "${ARGS[@]}")

TIMEFORMAT='%R %U %S'
# timed NAME CMD...: runs CMD (a function) under bash's time; appends
# wall, CPU (user+sys, children waited for included) and other
# processes' CPU to NAME_wall, NAME_cpu, NAME_other.
timed() {
	local name=$1 b0 b1 wall user sys
	shift
	b0=$(busy_ticks)
	local rc=0
	{ time "$@" 2>"$WORK/$name.err" || rc=$?; } 2>"$WORK/time.txt"
	b1=$(busy_ticks)
	((rc == 0)) || { cat "$WORK/$name.err" >&2; die "$name failed ($rc)"; }
	read -r wall user sys <"$WORK/time.txt"
	local -n W=${name}_wall C=${name}_cpu O=${name}_other
	W+=("$wall")
	C+=("$(calc "$user + $sys")")
	O+=("$(calc "($b1 - $b0) / $CLK_TCK - $user - $sys")")
	log "   $name run $i: $(fmt 2 "$wall") s wall, $(fmt 1 "${C[-1]}") s CPU, $(fmt 1 "${O[-1]}") s CPU of other processes"
}

run_ref() { rm -rf "$WORK/ref"; ref_args "$WORK/ref" 0; "${ARGS[@]}"; }
run_refsb() {
	rm -rf "$WORK/ref"; mkdir -p "$WORK/ref"; ref_args "$WORK/ref" 1; "${ARGS[@]}" || return
	local want=$((CLIP_SECONDS / SB_INTERVAL)) got size
	size=$(stat -c %s "$WORK/ref/storyboard.rgb") || return
	got=$((size / (160 * 90 * 3)))
	((got >= want)) || { echo "storyboard: $got thumbnails, $want expected" >&2; return 1; }
}
run_par() {
	rm -rf "$WORK/par"
	local k pids=() rc=0
	for k in 0 1 2 3; do
		mkdir -p "$WORK/par/${NAMES[k]}"
		rung_args "$WORK/par" "$k"
		"${ARGS[@]}" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || rc=1; done
	return $rc
}
run_poster() { rm -f "$WORK/poster.jpg"; poster_args "$WORK/poster.jpg"; "${ARGS[@]}"; [[ -s $WORK/poster.jpg ]]; }

# ---------------------------------------------------------------- reel

ref_wall=() ref_cpu=() ref_other=() par_wall=() par_cpu=() par_other=()
refsb_wall=() refsb_cpu=() refsb_other=() poster_wall=() poster_cpu=() poster_other=()
reel_wall=() reel_cpu=() reel_other=() play_wall=() play_frac=() reel_ladder=

run_reel() {
	local resp=$WORK/resp.json out code id t0 t1 tp= c0 c1 b0 b1 st path body
	sync
	out=$(curl -sS -o "$resp" -w '%{http_code}' -F "file=@$CLIP;type=application/octet-stream" "$REEL_URL/api/videos")
	t0=$(now) c0=$(cpu_ticks "$REEL_PID") b0=$(busy_ticks)
	[[ $out == 201 ]] || die "upload answered $out: $(head -c 500 "$resp")"
	id=$(json_str id "$(tr -d '\n' <"$resp")")
	while :; do
		http_get "$REEL_URL" "/api/videos/$id"
		[[ $HTTP_RESPONSE =~ \"status\":\"([a-z]+)\" ]] || die "bad poll response: ${HTTP_RESPONSE:0:500}"
		st=${BASH_REMATCH[1]}
		[[ $st == failed ]] && die "reel failed: $(json_str error "$HTTP_RESPONSE")"
		if [[ -z $tp && $HTTP_RESPONSE == *'"playable":true'* ]]; then
			local tq
			tq=$(now)
			[[ $HTTP_RESPONSE =~ \"playback\":\{\"url\":\"http://[^/\"]*(/[^\"]*)\" ]] || die "playable without playback.url: ${HTTP_RESPONSE:0:800}"
			path=${BASH_REMATCH[1]}
			http_get "$REEL_URL" "$path"
			if [[ $HTTP_RESPONSE == "HTTP/1.1 200"* ]]; then tp=$tq; PLAY_STATUS_AT=$st; fi
		fi
		[[ $st == ready && -n $tp ]] && break
		read -r -t 0.1 -u "$SLEEP_FD" || true
	done
	t1=$(now) c1=$(cpu_ticks "$REEL_PID") b1=$(busy_ticks)
	body=$(curl -sS "$REEL_URL/api/videos/$id")
	# ready is the poll that first saw it; tp <= t1 (the master check of
	# that same poll counts when the video was seen ready first).
	reel_wall+=("$(calc "$t1 - $t0")")
	reel_cpu+=("$(calc "($c1 - $c0) / $CLK_TCK")")
	reel_other+=("$(calc "($b1 - $b0 - ($c1 - $c0)) / $CLK_TCK")")
	play_wall+=("$(calc "$tp - $t0")")
	play_frac+=("$(calc "($tp - $t0) / ($t1 - $t0)")")
	play_state+=("$PLAY_STATUS_AT")
	reel_ladder=$(grep -o '"name":"[^"]*","width":[0-9]*,"height":[0-9]*' <<<"$body" |
		sed 's/"name":"\([^"]*\)","width":\([0-9]*\),"height":\([0-9]*\)/\1 \2x\3/' | paste -sd, | sed 's/,/, /g')
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$REEL_URL/api/videos/$id")
	[[ $code == 204 ]] || die "DELETE answered $code"
	log "   reel run $i: ready $(fmt 2 "${reel_wall[-1]}") s, playable $(fmt 2 "${play_wall[-1]}") s (seen while $PLAY_STATUS_AT), $(fmt 1 "${reel_cpu[-1]}") s CPU, $(fmt 1 "${reel_other[-1]}") s CPU of other processes"
}
play_state=()

start_reel "$WORK/reel"
REEL_PID=$SERVER_PID REEL_URL=$SERVER_URL
log "runs: $RUNS, clip ${CLIP_SECONDS} s; order rotates each run over reel, ref, par, refsb (poster after refsb)"
STEPS=(reel ref par refsb)
for ((i = 1; i <= RUNS; i++)); do
	for ((j = 0; j < 4; j++)); do
		s=${STEPS[(i - 1 + j) % 4]}
		case $s in
		reel) run_reel ;;
		ref) timed ref run_ref ;;
		par) timed par run_par ;;
		refsb) timed refsb run_refsb; timed poster run_poster ;;
		esac
	done
done
mapfile -t playable_log < <(sed -n 's/.*msg=playable .*seconds=\([0-9.]*\).*/\1/p' "$WORK/reel.log")
mapfile -t transcoded_log < <(sed -n 's/.*msg=transcoded .*seconds=\([0-9.]*\).*/\1/p' "$WORK/reel.log")
stop_server "$REEL_PID"

# ---------------------------------------------------------------- figures

M() { median "$@"; }
reel_wall_m=$(M "${reel_wall[@]}") reel_cpu_m=$(M "${reel_cpu[@]}")
ref_wall_m=$(M "${ref_wall[@]}") ref_cpu_m=$(M "${ref_cpu[@]}")
par_wall_m=$(M "${par_wall[@]}") par_cpu_m=$(M "${par_cpu[@]}")
play_m=$(M "${play_wall[@]}") play_frac_m=$(M "${play_frac[@]}")
# Storyboard + poster per run: (refsb - ref) + poster, CPU and wall.
sb_cpu=() sb_wall=() sb_frac=() sb_wfrac=()
for ((k = 0; k < RUNS; k++)); do
	sb_cpu+=("$(calc "${refsb_cpu[k]} - ${ref_cpu[k]} + ${poster_cpu[k]}")")
	sb_wall+=("$(calc "${refsb_wall[k]} - ${ref_wall[k]} + ${poster_wall[k]}")")
	sb_frac+=("$(calc "(${refsb_cpu[k]} - ${ref_cpu[k]} + ${poster_cpu[k]}) / ${ref_cpu[k]}")")
	sb_wfrac+=("$(calc "(${refsb_wall[k]} - ${ref_wall[k]} + ${poster_wall[k]}) / ${ref_wall[k]}")")
done
sb_cpu_m=$(M "${sb_cpu[@]}") sb_frac_m=$(M "${sb_frac[@]}")
sb_wall_m=$(M "${sb_wall[@]}") sb_wfrac_m=$(M "${sb_wfrac[@]}")
refsb_cpu_m=$(M "${refsb_cpu[@]}") poster_cpu_m=$(M "${poster_cpu[@]}") poster_wall_m=$(M "${poster_wall[@]}")
r_ref_wall=$(calc "$reel_wall_m / $ref_wall_m") r_ref_cpu=$(calc "$reel_cpu_m / $ref_cpu_m")
r_par_wall=$(calc "$reel_wall_m / $par_wall_m") r_par_cpu=$(calc "$reel_cpu_m / $par_cpu_m")

v_ref_wall=$(verdict "$r_ref_wall <= 1.05") v_ref_cpu=$(verdict "$r_ref_cpu <= 1.05")
v_par_wall=$(verdict "$r_par_wall <= 0.9") v_par_cpu=$(verdict "$r_par_cpu <= 0.9")
v_play=$(verdict "$play_frac_m <= 0.25")
v_sb=$(verdict "$sb_frac_m <= 0.03")

notes=
if [[ $reel_ladder != "$EXPECTED_LADDER" ]]; then
	notes+="**Ladder mismatch:** reel encoded \`$reel_ladder\`, the references \`$EXPECTED_LADDER\`; the ratios compare different work."$'\n\n'
fi
# Busy machine, as bench/run.sh: other processes' median CPU during the
# runs above 10 % of the reference ladder's own CPU. Wall-time verdicts
# are then not judged; CPU-second verdicts still are.
other_m=$(M "${reel_other[@]}" "${ref_other[@]}" "${par_other[@]}" "${refsb_other[@]}")
busy=0
if awk "BEGIN { exit !($other_m > 0.1 * $ref_cpu_m) }"; then
	busy=1
	nj="not judged: busy machine"
	v_ref_wall="$nj ($v_ref_wall as measured)" v_par_wall="$nj ($v_par_wall as measured)"
	v_play="$nj ($v_play as measured)"
	notes+="**Busy machine:** other processes took a median $(fmt 1 "$other_m") s of CPU during each run (the reference ladder itself takes $(fmt 1 "$ref_cpu_m") s), so wall times measure contention as much as the work; wall-time verdicts are not judged, the CPU-second ones are. Run again on an idle machine."$'\n\n'
fi
if [[ $RUNS != 5 || $CLIP_SECONDS != 60 ]]; then
	notes+="**Reduced run:** $RUNS runs on a ${CLIP_SECONDS} s clip, not the issue's 5 runs on a 60 s clip (BENCH_RUNS=$RUNS BENCH_SECONDS=$CLIP_SECONDS)."$'\n\n'
fi

elapsed=$((EPOCHSECONDS - started))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
uptime_end=$(uptime)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain 2>/dev/null) ]]; then commit+=" (with uncommitted changes in the tree)"; fi
cpu_model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
ffmpeg_version=$(ffmpeg -version | head -n 1 | sed 's/ Copyright.*//')
L="${CLIP_SECONDS} s 1080p30"

table=$(
	cat <<EOF
| benchmark | reel | reference | ratio | target | |
|---|---:|---:|---:|---|---|
| full ladder, $L, wall | $(fmt 2 "$reel_wall_m") s | $(fmt 2 "$ref_wall_m") s (one ffmpeg, single pass) | $(fmt 3 "$r_ref_wall") | ≤ 1.05 | $v_ref_wall |
| full ladder, $L, CPU (user+sys) | $(fmt 1 "$reel_cpu_m") s | $(fmt 1 "$ref_cpu_m") s (one ffmpeg, single pass) | $(fmt 3 "$r_ref_cpu") | ≤ 1.05 | $v_ref_cpu |
| full ladder, $L, wall | $(fmt 2 "$reel_wall_m") s | $(fmt 2 "$par_wall_m") s (4 ffmpeg in parallel, one per rendition) | $(fmt 3 "$r_par_wall") | ≤ 0.90 | $v_par_wall |
| full ladder, $L, CPU (user+sys) | $(fmt 1 "$reel_cpu_m") s | $(fmt 1 "$par_cpu_m") s (4 ffmpeg in parallel, one per rendition) | $(fmt 3 "$r_par_cpu") | ≤ 0.90 | $v_par_cpu |
| time to first playable (201 → playable + master 200) | $(fmt 2 "$play_m") s | $(fmt 2 "$reel_wall_m") s (reel, 201 → ready) | $(fmt 3 "$play_frac_m") | ≤ 0.25 | $v_play |
| storyboard branch + poster, CPU | $(fmt 2 "$sb_cpu_m") s | $(fmt 1 "$ref_cpu_m") s (reference ladder without storyboard) | $(fmt 1 "$(calc "100 * $sb_frac_m")") % | ≤ 3 % | $v_sb |
| storyboard branch + poster, wall | $(fmt 2 "$sb_wall_m") s | $(fmt 2 "$ref_wall_m") s | $(fmt 1 "$(calc "100 * $sb_wfrac_m")") % | for scale | |
EOF
)

echo
echo "== reel transcode benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s) =="
echo "$table"
[[ -n $notes ]] && printf '%s' "$notes"
echo "load average $load_start at the start, $load_end at the end; written to ${DOC#"$ROOT/"}"

cat >"$DOC" <<EOF
# Transcoding benchmarks

Generated by \`bench/transcode.sh\`; do not edit by hand, run it again.
Each figure is a ratio against a reference measured in the same run on the
same machine. Medians of $RUNS runs; in each run reel, the single-pass
reference, the per-rendition references and the storyboard reference
(followed by the poster) take turns, the order rotating by one each run.
Ratios are ratios of medians, except time to first playable and the
storyboard cost, which are medians of the per-run ratios.

Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit; the whole run took ${elapsed} s.
Parameters: BENCH_RUNS=$RUNS, BENCH_SECONDS=$CLIP_SECONDS.

## Results

$table

${notes}Runs, in order (seconds):

- reel, 201 → ready, wall: $(runs "${reel_wall[@]}"); CPU: $(runs "${reel_cpu[@]}"); CPU of other processes meanwhile: $(runs "${reel_other[@]}")
- reel, 201 → playable + master 200: $(runs "${play_wall[@]}") (fraction of ready: $(runs3 "${play_frac[@]}"); status when first seen playable: ${play_state[*]})
- reel's log, \`playable seconds=\` (job start → playable): $( ((${#playable_log[@]})) && runs "${playable_log[@]}" || echo none); \`transcoded seconds=\`: $( ((${#transcoded_log[@]})) && runs "${transcoded_log[@]}" || echo none)
- single-pass reference, wall: $(runs "${ref_wall[@]}"); CPU: $(runs "${ref_cpu[@]}"); other: $(runs "${ref_other[@]}")
- 4 parallel per-rendition ffmpeg, wall: $(runs "${par_wall[@]}"); CPU: $(runs "${par_cpu[@]}"); other: $(runs "${par_other[@]}")
- single-pass reference + storyboard branch, wall: $(runs "${refsb_wall[@]}"); CPU: $(runs "${refsb_cpu[@]}"); other: $(runs "${refsb_other[@]}")
- poster command, wall: $(runs "${poster_wall[@]}"); CPU: $(runs "${poster_cpu[@]}")
- storyboard + poster, CPU ((ref+storyboard) − ref + poster): $(runs "${sb_cpu[@]}"); fraction of the reference's CPU: $(runs3 "${sb_frac[@]}")
- ladder encoded by reel: $reel_ladder

## What is measured

**Full ladder.** A ${CLIP_SECONDS} s 1920x1080 30 fps clip (testsrc2 and a 440 Hz
tone, x264 ultrafast CRF 18, AAC; made once, untimed). reel
(\`--workers 1\`) is timed from the upload's 201 to the first
\`GET /api/videos/{id}\` that says \`ready\`, polled every 100 ms through
bash's /dev/tcp (no process per poll); its CPU is the growth of
utime+stime+cutime+cstime in \`/proc/PID/stat\` (reel waits for its
ffprobe and ffmpeg children) over the same interval, so it includes the
storyboard branch, tiling, poster, publishing and the database. The
references are timed by bash's \`time\` (user+sys of every waited-for
child): the hand-written single-pass command of \`bench/run.sh\`, and one
ffmpeg per rendition with the same encoder settings, the four started
together and each decoding the source itself. Neither reference makes a
storyboard or poster, so the ladder ratios carry reel's ~$(fmt 1 "$(calc "100 * $sb_frac_m")") % for them.
The references use \`-g 60 -keyint_min 60\`; reel forces keyframes by
time (\`-force_key_frames expr:gte(t,n_forced*2)\`), same 2 s grid here.

**Time to first playable.** Same reel runs: from the 201 to the first
poll where the JSON says \`"playable": true\` and a GET of the master
playlist at \`playback.url\` (through the same /dev/tcp client) answers
200; divided by that run's time to \`ready\`.

**Storyboard + poster.** The single-pass reference run again with a
fifth branch of its split, reel's storyboard chain
\`$SB_FILTER\` to a second, rawvideo output (as
\`ffmpeg.Args\` does, interval $SB_INTERVAL s for this length), minus the
reference without it, plus reel's poster command (\`ffmpeg.PosterArgs\`,
${POSTER_AT} s in, 1280x720 JPEG) timed on its own; CPU seconds, as a
fraction of the reference's. reel's Go-side tiling of the thumbnails into
JPEG sheets is not in this figure (it is in reel's ladder CPU above).

**Busy machine.** "other" is what the whole machine spent during a run
(\`/proc/stat\`) minus the run's own CPU. When its median exceeds 10 % of
the reference ladder's CPU the machine was shared: wall-time verdicts are
then marked not judged (the CPU-second verdicts stand).

## Machine

- CPU: $cpu_model, $(nproc) cores (nproc); memory: $mem_total; kernel: $(uname -sr)
- \`uptime\` at the start: \`$uptime_start\`
- \`uptime\` at the end: \`$uptime_end\`
- ffmpeg: $ffmpeg_version

## Commands

\`\`\`sh
BENCH_RUNS=$RUNS BENCH_SECONDS=$CLIP_SECONDS bench/transcode.sh

# input (untimed)
$(show_cmd "${CLIP_CMD[@]}")

# reel
bin/reel serve --data DIR --addr 127.0.0.1:0 --workers 1
curl -sS -o resp.json -w '%{http_code}' -F 'file=@clip.mp4;type=application/octet-stream' URL/api/videos
# then GET /api/videos/ID every 100 ms (bash /dev/tcp) until ready; GET playback.url when playable

# single-pass reference (bench/run.sh's)
$REF_CMD

# one ffmpeg per rendition, in parallel
$PAR_CMD

# single-pass reference with the storyboard branch (mkdir -p ref first: the rawvideo output needs the folder)
$REFSB_CMD

# poster (timed separately)
$POSTER_CMD
\`\`\`
EOF
log "done in ${elapsed} s"
