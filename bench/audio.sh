#!/usr/bin/env bash
# bench/audio.sh: audio encoded once, as its own rendition (what reel
# does), against audio encoded into every rendition (what reel did, and
# what bench/lib.sh's reference ladder still does), for the 4-rung ladder
# of a 1080p30 source with stereo sound. CPU seconds (user+sys) and bytes
# stored, for the whole ladder and for the audio encodes alone.
# Results go to stdout and to docs/benchmarks-audio.md.
#
# BENCH_RUNS (default 3) runs of each, interleaved, medians. BENCH_SECONDS
# (default 30) is the clip's length.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
CLIP_SECONDS=${BENCH_SECONDS:-30}
DOC=$ROOT/docs/benchmarks-audio.md
started=$EPOCHSECONDS
command -v ffmpeg >/dev/null || die "ffmpeg not found"

mkdir -p "$ROOT/bench/out"
WORK=$(mktemp -d "$ROOT/bench/out/audio.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

CLIP=$WORK/clip.mp4
log "generating the ${CLIP_SECONDS} s 1080p30 clip with a tone (untimed)"
ffmpeg -nostdin -y -loglevel error -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
	-f lavfi -i "sine=frequency=440:sample_rate=48000:beep_factor=4" -t "$CLIP_SECONDS" \
	-map 0:v -map 1:a -ac 2 -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p \
	-c:a aac -b:a 192k -movflags +faststart "$CLIP"

# per OUT: bench/lib.sh's reference ladder, each rung muxed with its own
# AAC encode (96k for 360p, 128k above), as reel did before.
per() { ref_ladder_args "$CLIP" "$1"; ffmpeg "${REF_ARGS[@]}"; }

# once OUT: the same ladder with the audio encoded once into its own
# rendition at 128k, every rung video only (ffmpeg.Args' layout): the
# reference's arguments with its -map, -b:a and -var_stream_map options
# replaced.
once() {
	ref_ladder_args "$CLIP" "$1"
	local a out=() skip=0
	for a in "${REF_ARGS[@]}"; do
		if ((skip)); then skip=0; continue; fi
		case $a in
		-map | -b:a:? | -var_stream_map | -master_pl_name) skip=1; continue ;;
		-map_metadata) out+=(-map "[v0]" -map "[v1]" -map "[v2]" -map "[v3]" -map 0:a) ;;
		-max_muxing_queue_size) out+=(-b:a 128k -var_stream_map "v:0,name:360p v:1,name:480p v:2,name:720p v:3,name:1080p a:0,name:audio") ;;
		esac
		out+=("$a")
	done
	ffmpeg "${out[@]}"
}

# Audio alone: four AAC encodes (the per-rendition ladder's audio work)
# against one.
audio_args() {
	ARGS=(-nostdin -y -loglevel error -nostats -i "$CLIP" -vn -map_metadata -1)
	local k rates=(96k 128k 128k 128k) map=()
	for ((k = 0; k < $2; k++)); do ARGS+=(-map 0:a); map+=("a:$k,name:a$k"); done
	ARGS+=(-c:a aac -ac 2 -ar 48000)
	for ((k = 0; k < $2; k++)); do ARGS+=("-b:a:$k" "${rates[k + 4 - $2]}"); done
	ARGS+=(-f hls -hls_time 6 -hls_playlist_type vod -hls_segment_type fmp4
		-hls_fmp4_init_filename init.mp4 -var_stream_map "${map[*]}"
		-hls_segment_filename "$1/%v/seg_%05d.m4s" "$1/%v/index.m3u8")
}
audio4() { audio_args "$1" 4; ffmpeg "${ARGS[@]}"; }
audio1() { audio_args "$1" 1; ffmpeg "${ARGS[@]}"; }

TIMEFORMAT='%R %U %S'
# timed NAME: runs NAME into a fresh folder; appends CPU seconds,
# wall seconds, bytes stored and other processes' CPU to NAME_cpu etc.
timed() {
	local name=$1 out=$WORK/$1 b0 b1 wall user sys
	rm -rf "$out"; mkdir -p "$out"
	b0=$(busy_ticks)
	{ time "$name" "$out" 2>"$WORK/$name.err"; } 2>"$WORK/time.txt" || { cat "$WORK/$name.err" >&2; die "$name failed"; }
	b1=$(busy_ticks)
	read -r wall user sys <"$WORK/time.txt"
	local -n C=${name}_cpu W=${name}_wall B=${name}_bytes O=${name}_other
	C+=("$(calc "$user + $sys")") W+=("$wall")
	B+=("$(find "$out" -type f \( -name '*.m4s' -o -name 'init.mp4' \) -printf '%s\n' | awk '{ s += $1 } END { print s }')")
	O+=("$(calc "($b1 - $b0) / $(getconf CLK_TCK) - $user - $sys")")
	log "   $name run $i: $(fmt 1 "${C[-1]}") s CPU, $(fmt 1 "$wall") s wall, ${B[-1]} bytes, $(fmt 1 "${O[-1]}") s CPU of other processes"
}

STEPS=(per once audio4 audio1)
for s in "${STEPS[@]}"; do declare -a "${s}_cpu=()" "${s}_wall=()" "${s}_bytes=()" "${s}_other=()"; done
for ((i = 1; i <= RUNS; i++)); do
	for ((j = 0; j < 4; j++)); do timed "${STEPS[(i - 1 + j) % 4]}"; done
done

M() { median "$@"; }
per_cpu=$(M "${per_cpu[@]}") once_cpu=$(M "${once_cpu[@]}")
a4_cpu=$(M "${audio4_cpu[@]}") a1_cpu=$(M "${audio1_cpu[@]}")
int() { fmt 0 "$1"; }
per_b=$(int "$(M "${per_bytes[@]}")") once_b=$(int "$(M "${once_bytes[@]}")")
a4_b=$(int "$(M "${audio4_bytes[@]}")") a1_b=$(int "$(M "${audio1_bytes[@]}")")
other=$(M "${per_other[@]}" "${once_other[@]}" "${audio4_other[@]}" "${audio1_other[@]}")
elapsed=$((EPOCHSECONDS - started))
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

table=$(
	cat <<T
| what | audio in every rendition | audio once | once / every |
|---|---:|---:|---:|
| 4-rung ladder, CPU (user+sys) | $(fmt 1 "$per_cpu") s | $(fmt 1 "$once_cpu") s | $(fmt 3 "$(calc "$once_cpu / $per_cpu")") |
| 4-rung ladder, bytes stored (segments + init) | $per_b | $once_b | $(fmt 3 "$(calc "$once_b / $per_b")") |
| audio encodes alone, CPU | $(fmt 2 "$a4_cpu") s (4 AAC encodes) | $(fmt 2 "$a1_cpu") s (1) | $(fmt 3 "$(calc "$a1_cpu / $a4_cpu")") |
| audio encodes alone, bytes | $a4_b | $a1_b | $(fmt 3 "$(calc "$a1_b / $a4_b")") |
T
)
echo "$table"
cat >"$DOC" <<DOC
# Audio once: benchmark

Generated by \`bench/audio.sh\`; do not edit by hand, run it again.
Run on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit; ${elapsed} s; BENCH_RUNS=$RUNS, BENCH_SECONDS=$CLIP_SECONDS.
Medians of $RUNS runs, the order rotating each run. Other processes took a median
$(fmt 1 "$other") s of CPU during each run (a shared machine: the CPU seconds are the
runs' own, from bash's \`time\`, so they hold; wall times are not reported).

$table

A ${CLIP_SECONDS} s 1920x1080 30 fps clip (testsrc2, a beeping 440 Hz stereo
tone). "Audio in every rendition" is bench/lib.sh's reference ladder
(\`ref_ladder_args\`: one decode, four x264 veryfast rungs from 360p to 1080p,
each muxed with its own AAC encode, 96k for 360p and 128k above); "audio once"
is the same command with the audio mapped once, at 128k, into its own
\`audio\` rendition, as \`ffmpeg.Args\` now does. "Audio encodes alone" runs
only the audio part (\`-vn\`): four AAC encodes in one process against one.
Bytes are the media and init segments written.
DOC
log "done in ${elapsed} s; written to ${DOC#"$ROOT/"}"
