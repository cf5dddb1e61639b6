#!/usr/bin/env bash
# serve-load.sh measures how many rank+reward pairs per second `rankloop
# serve` sustains on loopback. It builds bin/rankloop, then for each run
# starts a fresh server on 127.0.0.1 with a free port, drives it with wrk
# and bench/serve-load.lua for a fixed time, stops it and prints pairs/s
# (requests/s / 2), the per-request p50 and p99 latency and the errors.
# After the last run it prints the median of each figure and the total
# errors, and exits 1 when any request failed.
#
# wrk runs in its own process, so the client's CPU cost is that of an
# event loop in C plus a little LuaJIT per request. Client and server
# share the machine's cores; the script prints the load average before
# each run, because other processes bias the figures.
#
# Usage: bench/serve-load.sh [-n RUNS] [-d DURATION] [-c CONNECTIONS] [-t THREADS] [-- SERVE-FLAGS...]
#   -n  runs, each against a new server (default 5)
#   -d  wrk duration of one run, such as 10s (default 10s)
#   -c  concurrent connections (default 32)
#   -t  wrk threads (default 2)
# Arguments after -- go to `rankloop serve`, such as -- --policy "--cb_explore_adf --epsilon 0.1".
set -euo pipefail

runs=5
duration=10s
connections=32
threads=2
while getopts "n:d:c:t:h" opt; do
  case "$opt" in
    n) runs=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
serve_flags=("$@")

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v wrk >/dev/null; then
  echo "serve-load: wrk is missing; installing it with apt-get" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq wrk >/dev/null
fi

echo "serve-load: building bin/rankloop" >&2
go build -o bin/rankloop ./cmd/rankloop

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_server starts a new server and sets server_pid and url.
start_server() {
  : >"$work/serve.out"
  bin/rankloop serve --addr 127.0.0.1:0 --model-update-every 1000 ${serve_flags[@]+"${serve_flags[@]}"} \
    >"$work/serve.out" 2>"$work/serve.log" &
  server_pid=$!
  url=""
  for _ in $(seq 100); do
    url=$(head -n 1 "$work/serve.out")
    if [ -n "$url" ]; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  case "$url" in
    http://127.0.0.1:*) ;;
    *)
      echo "serve-load: the server printed no loopback URL within 10 s; its log:" >&2
      cat "$work/serve.log" >&2
      exit 1 ;;
  esac
}

# stop_server stops the server with SIGTERM and waits for it.
stop_server() {
  kill -TERM "$server_pid"
  if ! wait "$server_pid"; then
    echo "serve-load: the server exited with an error; its log:" >&2
    cat "$work/serve.log" >&2
  fi
  server_pid=""
}

# figure prints the value of key in a wrk output file.
figure() {
  awk -v key="$2" '$1 == key { print $2 }' "$1"
}

# median prints the median of the numbers on stdin, the mean of the two
# middle ones for an even count.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "serve-load: $runs runs of wrk -t$threads -c$connections -d$duration on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))" >&2
printf '%-4s %10s %8s %8s %7s  %s\n' run pairs/s p50-µs p99-µs errors "load average (1, 5, 15 min) before the run"
: >"$work/table"
for run in $(seq "$runs"); do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server
  wrk -t"$threads" -c"$connections" -d"$duration" -s bench/serve-load.lua "$url" \
    -- experiments/data/coffees.csv experiments/data/preferences.json >"$work/wrk.out"
  stop_server

  out="$work/wrk.out"
  pairs=$(figure "$out" pairs_per_s)
  p50=$(figure "$out" latency_p50_us)
  p99=$(figure "$out" latency_p99_us)
  errors=$(figure "$out" errors)
  if [ -z "$pairs" ] || [ -z "$errors" ]; then
    echo "serve-load: wrk printed no figures; its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  printf '%-4s %10s %8s %8s %7s  %s\n' "$run" "$pairs" "$p50" "$p99" "$errors" "$load"
  if [ "$errors" != 0 ]; then
    grep -E '^(errors|status)_' "$out" | sed 's/^/     /'
  fi
  echo "$pairs $p50 $p99 $errors" >>"$work/table"
done

printf '%-4s %10s %8s %8s %7s\n' median \
  "$(cut -d' ' -f1 "$work/table" | median)" \
  "$(cut -d' ' -f2 "$work/table" | median)" \
  "$(cut -d' ' -f3 "$work/table" | median)" \
  "$(awk '{ s += $4 } END { print s }' "$work/table")"
echo "(errors: total over all runs)"
if [ "$(awk '{ s += $4 } END { print s }' "$work/table")" != 0 ]; then
  exit 1
fi
