#!/usr/bin/env bash
# bench/tus.sh: reel's tus endpoint (/api/uploads/) into versitygw, against
# tusd v2.10.0 (the reference tus server, its s3store) into the same
# versitygw, same S3 part size, same client (`reel upload`, same chunk
# size). Each run starts a fresh server and uploads one file of
# BENCH_TUS_MIB MiB (default 1024) from random bytes; runs alternate
# between the servers (BENCH_TUS_RUNS each, default 3) and the medians go
# to stdout and docs/benchmarks-tus.md:
#
#   throughput    file size / wall time of `reel upload` (creation to last PATCH)
#   CPU s/GiB     the server process's utime+stime (/proc/PID/stat) per GiB
#   peak RSS      the server process's VmHWM (/proc/PID/status)
#   disk written  the server process's write_bytes (/proc/PID/io): bytes it
#                 made the kernel write to local disk (tusd's s3store
#                 spools parts to temp files; reel does not)
#
# Installs tusd (go install github.com/tus/tusd/v2/cmd/tusd@v2.10.0) and
# versitygw if missing. REEL (default bin/reel) is the binary under test.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
SIZE_MIB=${BENCH_TUS_MIB:-1024}
RUNS=${BENCH_TUS_RUNS:-3}
PART=$((8 << 20))   # S3 part size of both servers
CHUNK=$((64 << 20)) # client PATCH size
DOC=$ROOT/docs/benchmarks-tus.md
REGION=us-east-1
BUCKET=tus-bench
TUSD_MODULE=github.com/tus/tusd/v2/cmd/tusd@v2.10.0
VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw@v1.8.0

runs() {
	local d=$1 s= x
	shift
	for x in "$@"; do s+="${s:+, }$(fmt "$d" "$x")"; done
	echo "$s"
}

[[ -x $REEL ]] || die "$REEL not found: run 'make build'"
gobin() {
	command -v "$1" && return 0
	local d
	for d in "$(go env GOBIN)" "$(go env GOPATH | cut -d: -f1)/bin"; do
		[[ -n $d && -x $d/$1 ]] && { echo "$d/$1"; return 0; }
	done
	return 1
}
TUSD=$(gobin tusd) || { log "installing $TUSD_MODULE"; go install "$TUSD_MODULE"; TUSD=$(gobin tusd); } || die "no tusd"
VGW=$(gobin versitygw) || { go install "$VERSITYGW_MODULE"; VGW=$(gobin versitygw); } || die "no versitygw"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tusbench.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
need=$(((SIZE_MIB << 20) * 4))
avail=$(df --output=avail -B1 "$WORK" | tail -n 1 | tr -d ' ')
((avail > need)) || die "need $((need >> 20)) MiB free under $WORK, have $((avail >> 20))"

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
write_bytes() { awk '/^write_bytes:/ { print $2 }' "/proc/$1/io"; }

# ---------------------------------------------------------------- versitygw

AK=bench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
SK=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
# tusd's SDK would send CRC32 checksums that S3 compatibles may refuse:
# "when required" for both, as reel does itself.
S3_ENV=(AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_REGION="$REGION"
	AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required)
mkdir -p "$WORK/vgw" "$WORK/vgw-iam"
port=$(free_port)
env -i PATH="$PATH" HOME="$HOME" ROOT_ACCESS_KEY="$AK" ROOT_SECRET_KEY="$SK" \
	"$VGW" --port "127.0.0.1:$port" --iam-dir "$WORK/vgw-iam" --health /health --quiet posix "$WORK/vgw" \
	>"$WORK/vgw.log" 2>&1 &
PIDS+=($!)
VGW_URL=http://127.0.0.1:$port
for ((i = 0; i < 200; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$VGW_URL/health" || true) == 200 ]] && break
	sleep 0.05
done
code=$(curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
	-H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' -X PUT "$VGW_URL/$BUCKET")
[[ $code == 200 ]] || die "create bucket answered $code: $(tail -c 500 "$WORK/vgw.log")"

# ---------------------------------------------------------------- servers

# start_server NAME: a fresh reel or tusd on versitygw. Sets SRV_PID, SRV_URL.
start_server() {
	local p
	p=$(free_port)
	SRV_URL=http://127.0.0.1:$p
	case $1 in
	reel)
		rm -rf "$WORK/reel-data"
		env "${S3_ENV[@]}" "$REEL" serve --data "$WORK/reel-data" --addr "127.0.0.1:$p" --workers 0 \
			--originals "s3://$BUCKET/reel?endpoint=$VGW_URL&region=$REGION" --part-size "$PART" \
			--max-upload-size 100GiB --log-level warn 2>"$WORK/reel.log" &
		;;
	tusd)
		rm -rf "$WORK/tusd-tmp" && mkdir -p "$WORK/tusd-tmp"
		# Same path as reel's, so the same client talks to both.
		env "${S3_ENV[@]}" TMPDIR="$WORK/tusd-tmp" "$TUSD" -host 127.0.0.1 -port "$p" -base-path /api/uploads/ \
			-s3-bucket "$BUCKET" -s3-object-prefix tusd -s3-endpoint "$VGW_URL" \
			-s3-part-size "$PART" -disable-download -log-format text \
			-verbose=false >"$WORK/tusd.log" 2>&1 &
		;;
	esac
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	for ((i = 0; i < 300; i++)); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$SRV_URL/api/uploads/" || true) =~ ^2 ]] && return 0
		kill -0 "$SRV_PID" 2>/dev/null || die "$1 exited: $(tail -c 1000 "$WORK/$1.log")"
		sleep 0.05
	done
	die "$1 did not start"
}

stop_server() {
	kill -INT "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}

FILE=$WORK/upload.bin
log "generating $SIZE_MIB MiB of random bytes"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$FILE"
GIB=$(calc "$SIZE_MIB / 1024")

declare -A MBS CPU RSS DISK
for ((r = 1; r <= RUNS; r++)); do
	for name in reel tusd; do
		start_server "$name"
		c0=$(cpu_ticks "$SRV_PID") w0=$(write_bytes "$SRV_PID")
		t0=$EPOCHREALTIME
		"$REEL" upload --server "$SRV_URL" --chunk-size "$CHUNK" --state "$WORK/state-$name-$r" "$FILE" \
			>"$WORK/id" 2>"$WORK/client.log" || die "$name upload failed: $(tail -c 500 "$WORK/client.log") $(tail -c 800 "$WORK/$name.log")"
		t1=$EPOCHREALTIME
		c1=$(cpu_ticks "$SRV_PID") w1=$(write_bytes "$SRV_PID") rss=$(peak_rss_kib "$SRV_PID")
		stop_server
		mbs=$(calc "($SIZE_MIB * 1048576 / 1e6) / ($t1 - $t0)")
		cpu=$(calc "($c1 - $c0) / $CLK_TCK / $GIB")
		MBS[$name]+=" $mbs" CPU[$name]+=" $cpu" RSS[$name]+=" $(calc "$rss / 1024")" DISK[$name]+=" $(calc "($w1 - $w0) / 1048576")"
		log "run $r $name: $(fmt 1 "$mbs") MB/s, $(fmt 2 "$cpu") CPU s/GiB, peak RSS $(fmt 1 "$(calc "$rss / 1024")") MiB, wrote $(fmt 1 "$(calc "($w1 - $w0) / 1048576")") MiB to disk"
		rm -rf "${WORK:?}/vgw/$BUCKET/"* # room for the next run
	done
done

row() { # row LABEL DIGITS KEY: medians of reel, tusd, their ratio, the runs
	local -n m=$3
	local a b
	# shellcheck disable=SC2086
	a=$(median ${m[reel]}) b=$(median ${m[tusd]})
	echo "| $1 | $(fmt "$2" "$a") | $(fmt "$2" "$b") | $(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "—" }') | $(runs "$2" ${m[reel]}) / $(runs "$2" ${m[tusd]}) |"
}
{
	echo "# Benchmark: tus uploads into S3, reel vs tusd"
	echo
	echo "Generated by \`bench/tus.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "One $SIZE_MIB MiB file of random bytes per run, uploaded by \`reel upload --chunk-size $((CHUNK >> 20))MiB\`"
	echo "(one PATCH per chunk, each with \`Upload-Checksum: sha256\`) into versitygw v1.8.0 (posix backend, local disk),"
	echo "S3 part size $((PART >> 20)) MiB for both servers: reel \`--part-size\`, tusd \`-s3-part-size\`. A fresh server per run,"
	echo "$RUNS runs each, alternating; medians, then every run (reel / tusd)."
	echo
	echo "| measure | reel | tusd v2.10.0 | reel/tusd | runs |"
	echo "|---|---|---|---|---|"
	row "throughput, MB/s" 1 MBS
	row "server CPU, s per GiB" 2 CPU
	row "server peak RSS, MiB" 1 RSS
	row "server writes to local disk, MiB" 1 DISK
	echo
	echo "Disk writes are the server process's \`write_bytes\` (/proc/PID/io): tusd's s3store spools each part to a"
	echo "temp file before sending it; reel sends parts from memory (its part pool), so it writes only its SQLite"
	echo "database. Throughput includes the client's sha256 of every chunk, the same for both servers. tusd runs"
	echo "with its defaults otherwise (it hashes each part with MD5 and SHA-256 for S3; reel's SDK hashes each part"
	echo "with SHA-256 for SigV4) and up to 10 parts in flight (\`-s3-concurrent-part-uploads\`), where reel sends 2 at"
	echo "a time from its pool. The file is read from the page cache; versitygw shares the 2 cores with client and server."
} | tee "$DOC"
