#!/usr/bin/env bash
# serve-load.sh measures how many rank+reward pairs per second `rankloop
# serve` sustains on loopback. It builds bin/rankloop. Then, for each run,
# it starts a new server on 127.0.0.1 with a free port, drives it with wrk
# and bench/serve-load.lua for a fixed time, and stops it. Each run prints
# pairs/s (requests/s / 2), the per-request p50 and p99 latency, the
# errors, and the CPU time the server and wrk spent per pair. The last
# line has the median of each figure and the total errors. The script
# exits 1 when any request failed.
#
# wrk runs in its own process, so the client costs an event loop in C and
# a little LuaJIT per request. Client and server share the machine's
# cores with whatever else runs. Each run therefore also prints three
# measures of that competition. other-cpu is the CPU that other processes
# and interrupt handling used during the run, in % of all cores. steal is
# the time the hypervisor gave this machine's vCPUs to other guests. load
# is the 1-minute load average before the run, which still counts the
# previous run's threads.
#
# Usage: bench/serve-load.sh [-n RUNS] [-d DURATION] [-c CONNECTIONS] [-t THREADS] [-b BINARY] [-- SERVE-FLAGS...]
#   -n  runs, each against a new server (default 5)
#   -d  wrk duration of one run, such as 10s (default 10s)
#   -c  concurrent connections (default 32)
#   -t  wrk threads (default 2)
#   -b  serve with this rankloop binary instead of building bin/rankloop,
#       to compare two builds
# Arguments after -- go to `rankloop serve`, such as -- --policy "--cb_explore_adf --epsilon 0.1".
set -euo pipefail

runs=5
duration=10s
connections=32
threads=2
binary=""
while getopts "n:d:c:t:b:h" opt; do
  case "$opt" in
    n) runs=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) connections=$OPTARG ;;
    t) threads=$OPTARG ;;
    b) binary=$OPTARG ;;
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

if [ -z "$binary" ]; then
  echo "serve-load: building bin/rankloop" >&2
  go build -o bin/rankloop ./cmd/rankloop
  binary=bin/rankloop
fi

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
  "$binary" serve --addr 127.0.0.1:0 --model-update-every 1000 ${serve_flags[@]+"${serve_flags[@]}"} \
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

# median prints the median of the numbers on stdin. For an even count it
# prints the mean of the two middle ones.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# process_ticks prints the user plus system CPU time of process $1 in
# clock ticks.
process_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# machine_ticks prints the busy, idle and steal clock ticks of all cores
# together.
machine_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $5 + $6, $9 }' /proc/stat
}

# per_pair prints $1 clock ticks of CPU time per pair in microseconds,
# for $2 requests.
per_pair() {
  awk -v ticks="$1" -v requests="$2" -v hz="$hz" \
    'BEGIN { if (requests > 0) printf "%.1f\n", ticks / hz * 1e6 / (requests / 2); else print 0 }'
}

hz=$(getconf CLK_TCK)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "serve-load: $runs runs of wrk -t$threads -c$connections -d$duration on $(nproc) cores ($cpu_model), $binary"
format='%-6s %9s %7s %7s %6s %10s %10s %9s %6s %6s\n'
# shellcheck disable=SC2059 # format is the table's layout.
printf "$format" run pairs/s p50-µs p99-µs errors server-cpu wrk-cpu other-cpu steal load
# shellcheck disable=SC2059
printf "$format" "" "" "" "" "" µs/pair µs/pair % % 1-min
: >"$work/table"
for run in $(seq "$runs"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  start_server

  server_before=$(process_ticks "$server_pid")
  read -r busy_before idle_before steal_before < <(machine_ticks)
  wrk_times=$( { TIMEFORMAT='%U %S'; time wrk -t"$threads" -c"$connections" -d"$duration" \
    -s bench/serve-load.lua "$url" \
    -- experiments/data/coffees.csv experiments/data/preferences.json >"$work/wrk.out"; } 2>&1 )
  read -r busy_after idle_after steal_after < <(machine_ticks)
  server_ticks=$(( $(process_ticks "$server_pid") - server_before ))
  stop_server

  out="$work/wrk.out"
  pairs=$(figure "$out" pairs_per_s)
  p50=$(figure "$out" latency_p50_us)
  p99=$(figure "$out" latency_p99_us)
  errors=$(figure "$out" errors)
  requests=$(figure "$out" requests)
  if [ -z "$pairs" ] || [ -z "$errors" ]; then
    echo "serve-load: wrk printed no figures; its output:" >&2
    cat "$out" >&2
    exit 1
  fi

  wrk_ticks=$(echo "$wrk_times" | awk -v hz="$hz" '{ printf "%d\n", ($1 + $2) * hz + 0.5 }')
  server_cpu=$(per_pair "$server_ticks" "$requests")
  wrk_cpu=$(per_pair "$wrk_ticks" "$requests")
  read -r other_cpu steal < <(awk -v busy=$((busy_after - busy_before)) \
    -v idle=$((idle_after - idle_before)) -v steal=$((steal_after - steal_before)) \
    -v ours=$((server_ticks + wrk_ticks)) \
    'BEGIN { all = busy + idle + steal; other = busy - ours; if (other < 0) other = 0
             printf "%.0f %.0f\n", 100 * other / all, 100 * steal / all }')

  # shellcheck disable=SC2059
  printf "$format" "$run" "$pairs" "$p50" "$p99" "$errors" "$server_cpu" "$wrk_cpu" "$other_cpu" "$steal" "$load"
  if [ "$errors" != 0 ]; then
    grep -E '^(errors|status)_' "$out" | sed 's/^/       /'
  fi
  echo "$pairs $p50 $p99 $errors $server_cpu $wrk_cpu $other_cpu $steal $load" >>"$work/table"
done

total_errors=$(awk '{ s += $4 } END { print s }' "$work/table")
column_median() {
  cut -d' ' -f"$1" "$work/table" | median
}
# shellcheck disable=SC2059
printf "$format" median "$(column_median 1)" "$(column_median 2)" "$(column_median 3)" "$total_errors" \
  "$(column_median 5)" "$(column_median 6)" "$(column_median 7)" "$(column_median 8)" "$(column_median 9)"
echo "(errors: the total of all runs)"
if [ "$total_errors" != 0 ]; then
  exit 1
fi
