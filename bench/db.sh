#!/usr/bin/env bash
# bench/db.sh: the API on PostgreSQL against SQLite, 10,000 ready videos
# each. `make bench` runs it after building bin/reel; the results go to
# stdout and to docs/benchmarks-db.md.
#
# Each database is migrated with `reel migrate` and filled by
# bench/dbseed through reel's own store; then one `reel serve --workers 0`
# on it answers, each case 10 s of wrk on loopback (1 thread, 16
# connections), one run:
#   video       GET /api/videos/{id} of a video in the middle
#   first page  GET /api/videos (20 newest)
#   deep page   GET /api/videos?cursor=... after 9,000 videos
# Neither reel nor PostgreSQL is pinned: on a shared machine both
# databases' servers compete with wrk for the same cores, PostgreSQL's
# processes included.
#
# Environment: REEL (default bin/reel), BENCH_SECONDS (default 10),
# BENCH_VIDEOS (default 10000), BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable: the server
# on which a database reel_bench_<pid> is created and dropped after).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
REEL=${REEL:-$ROOT/bin/reel}
SECONDS_PER_CASE=${BENCH_SECONDS:-10}
VIDEOS=${BENCH_VIDEOS:-10000}
SERVER=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DOC=$ROOT/docs/benchmarks-db.md
SUDO=$([ "$(id -u)" = 0 ] || command -v sudo || true)

command -v wrk >/dev/null || {
	log "installing wrk"
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
}
command -v psql >/dev/null || die "psql missing: apt-get install postgresql-client"
[ -x "$REEL" ] || die "$REEL missing: run make build"

WORK=$(mktemp -d)
PGDB=reel_bench_$$
PGURL=${SERVER%%/postgres\?*}/$PGDB?sslmode=disable
PID=
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	psql -q "$SERVER" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

go build -o "$WORK/dbseed" ./bench/dbseed
psql -q "$SERVER" -c "CREATE DATABASE $PGDB" >/dev/null || die "cannot create $PGDB on $SERVER"

# rps URL: wrk's requests per second on URL.
rps() {
	local out
	out=$(wrk -t1 -c16 -d"${SECONDS_PER_CASE}s" "$1")
	grep -q 'Non-2xx' <<<"$out" && die "non-2xx answers from $1: $out"
	awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

declare -A RESULT
for backend in sqlite postgres; do
	data=$WORK/$backend
	mkdir -p "$data"
	db=$data/reel.db
	[[ $backend == postgres ]] && db=$PGURL
	"$REEL" migrate --data "$data" --db "$db" >/dev/null
	log "$backend: seeding $VIDEOS videos"
	t0=$(now)
	mapfile -t seed < <("$WORK/dbseed" --db "$db" --videos "$VIDEOS")
	RESULT[$backend,seed]=$(fmt 1 "$(calc "$(now) - $t0")")
	id=${seed[0]} cursor=${seed[1]}
	port=$(free_port)
	"$REEL" serve --data "$data" --db "$db" --addr "127.0.0.1:$port" --workers 0 \
		--signing-key bench-signing-key-0123456789abcdef0123 --log-level error --api-rate 0 &
	PID=$!
	for _ in $(seq 100); do curl -fso /dev/null "http://127.0.0.1:$port/api/videos/$id" && break; sleep 0.1; done
	base=http://127.0.0.1:$port/api/videos
	RESULT[$backend,video]=$(rps "$base/$id")
	RESULT[$backend,first]=$(rps "$base")
	RESULT[$backend,deep]=$(rps "$base?cursor=$cursor")
	log "$backend: video ${RESULT[$backend,video]}/s, first page ${RESULT[$backend,first]}/s, deep page ${RESULT[$backend,deep]}/s"
	kill "$PID"; wait "$PID" 2>/dev/null || true
	PID=
done

{
	echo "# Benchmark: the API on PostgreSQL and SQLite"
	echo
	echo "\`bench/db.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "$VIDEOS ready public videos per database; wrk -t1 -c16 -d${SECONDS_PER_CASE}s, one run, requests per second."
	echo
	echo "| request | SQLite | PostgreSQL | PostgreSQL / SQLite |"
	echo "|---|---|---|---|"
	for c in video first deep; do
		name=$c
		case $c in video) name='`GET /api/videos/{id}`' ;; first) name='`GET /api/videos` (first page)' ;; deep) name='`GET /api/videos?cursor=` (after 90 %)' ;; esac
		echo "| $name | $(fmt 0 "${RESULT[sqlite,$c]}") | $(fmt 0 "${RESULT[postgres,$c]}") | $(fmt 2 "$(calc "${RESULT[postgres,$c]} / ${RESULT[sqlite,$c]}")") |"
	done
	echo
	echo "Seeding $VIDEOS videos one transaction each through the store: SQLite ${RESULT[sqlite,seed]} s, PostgreSQL ${RESULT[postgres,seed]} s."
} | tee "$DOC"
