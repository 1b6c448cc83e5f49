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
