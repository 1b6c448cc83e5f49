# bench/lib.sh: the helpers every benchmark script shares. Each script
# sources it right after `set -euo pipefail`.

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "bench/$(basename "$0" .sh): $*"; exit 1; }

# Arithmetic on decimals, which bash lacks: calc 'EXPR' prints EXPR's value.
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
# fmt DIGITS X prints X rounded to DIGITS decimals.
fmt() { awk -v d="$1" -v x="$2" 'BEGIN { printf "%.*f", d, x }'; }
# median X...: the middle value (mean of the two middle ones if even).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.6g", v[(NR + 1) / 2]; else printf "%.6g", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
now() { echo "$EPOCHREALTIME"; }
# verdict OK: "met" or "missed", from an awk condition.
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo "**missed**"; }

# busy_ticks: clock ticks all CPUs spent busy since boot, from /proc/stat.
# Its growth during a run minus the run's own CPU is what other processes
# took meanwhile: how noisy that run is.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# peak_rss_kib PID: the process's peak resident set size (VmHWM) in KiB.
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# free_port: a TCP port of 127.0.0.1 nobody listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
# json_str KEY JSON: the last string value of KEY in a JSON object.
json_str() { sed -n "s/^[^{]*{.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2" | head -n 1; }
# delete_video URL ID: DELETE the video from the reel at URL, or die.
delete_video() {
	local code
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$1/api/videos/$2")
	[[ $code == 204 ]] || die "DELETE $2 answered $code"
}

# ref_ladder_args IN OUT [BRANCH]: sets REF_ARGS to the hand-written
# reference ladder, the ffmpeg arguments every benchmark compares reel's
# transcode with: 360p to 1080p from a 1080p30 source in one process. With
# BRANCH, a filter such as reel's storyboard, the split gets a fifth branch
# written as rawvideo to OUT/storyboard.rgb.
ref_ladder_args() {
	local graph="[0:v]split=4[s0][s1][s2][s3];[s0]scale=640:360[v0];[s1]scale=854:480[v1];[s2]scale=1280:720[v2];[s3]scale=1920:1080[v3]"
	if [[ -n ${3:-} ]]; then
		graph="[0:v]split=5[s0][s1][s2][s3][s4];[s0]scale=640:360[v0];[s1]scale=854:480[v1];[s2]scale=1280:720[v2];[s3]scale=1920:1080[v3];[s4]$3[sb]"
	fi
	REF_ARGS=(
		-nostdin -y
		# Errors only; no status line.
		-loglevel error -nostats
		-i "$1"
		# One decode, split four ways, each branch scaled from the source.
		# The clip is constant 30 fps, square pixels and yuv420p already,
		# so no fps, setsar or format filters are needed.
		-filter_complex "$graph"
		# Four muxed variants: each rung's video with its own AAC copy.
		-map "[v0]" -map 0:a -map "[v1]" -map 0:a -map "[v2]" -map 0:a -map "[v3]" -map 0:a
		-map_metadata -1
		# x264 High, veryfast, CRF 23 capped by a per-rung peak rate over a
		# 2 s buffer (same caps as reel's ladder).
		-c:v libx264 -preset veryfast -profile:v high -crf 23
		-maxrate:v:0 800k -bufsize:v:0 1600k
		-maxrate:v:1 1400k -bufsize:v:1 2800k
		-maxrate:v:2 2800k -bufsize:v:2 5600k
		-maxrate:v:3 5000k -bufsize:v:3 10000k
		# A fixed 2 s GOP (60 frames at 30 fps), no scene-cut keyframes:
		# IDR frames on the same grid in every rung.
		-g 60 -keyint_min 60 -sc_threshold 0
		# AAC-LC stereo 48 kHz; 96k for 360p, 128k above.
		-c:a aac -ac 2 -ar 48000 -b:a:0 96k -b:a:1 128k -b:a:2 128k -b:a:3 128k
		# Room for audio while x264's lookahead fills.
		-max_muxing_queue_size 1024
		# 6 s fMP4 segments in VOD playlists, one folder per rung, plus a master.
		-f hls -hls_time 6 -hls_playlist_type vod -hls_flags independent_segments
		-hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4
		-master_pl_name master.m3u8
		-var_stream_map "v:0,a:0,name:360p v:1,a:1,name:480p v:2,a:2,name:720p v:3,a:3,name:1080p"
		-hls_segment_filename "$2/%v/seg_%05d.m4s"
		"$2/%v/index.m3u8"
	)
	if [[ -n ${3:-} ]]; then REF_ARGS+=(-map "[sb]" -f rawvideo "$2/storyboard.rgb"); fi
}
