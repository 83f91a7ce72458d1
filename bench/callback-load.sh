#!/usr/bin/env bash
# Load test of the WeCom callback endpoint, side by side with the peers users would otherwise
# pick. Every server verifies the signature and decrypts each event; only zhangfang also stores
# it (committed before the ack). See docs/benchmarks.md for results and how to read them.
#
# Honest by construction:
# - every request in the measured window is an event the server has never seen: each wrk thread
#   walks its own share of EVENTS pre-generated events once, and there is no warm-up (a thread
#   that would run out of its share is reported, and the run must then be repeated with more
#   EVENTS or a shorter DURATION); no thread sends before every thread has loaded its share, so
#   nothing reaches the server before wrk starts its clock (see bench/wrk_events.lua);
# - zhangfang's stored rows are counted in the database after the window and reported per second
#   beside req/s, so an answer without a stored row cannot pass for throughput;
# - the peers use every core: @wecom/crypto in a Node `cluster` with one worker per core, wechatpy
#   in one process per core sharing the port through SO_REUSEPORT; zhangfang runs its default
#   one HTTP worker per core;
# - a second run mixes in 10 % retries (the same event re-encrypted with a new nonce and random
#   prefix, as WeCom sends them), which zhangfang must acknowledge and store once.
#
#   bench/callback-load.sh            # all servers, both runs, defaults below
#   SERVERS="zhangfang-sqlite node" RUNS=fresh bench/callback-load.sh
#
# Needs: wrk (Debian package), Node.js + npm, Python 3; installs @wecom/crypto (npm) and wechatpy
# (PyPI) under bench/ on first use. PostgreSQL runs use $BENCH_DATABASE_URL's server.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-250000}
DURATION=${DURATION:-4s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
RUNS=${RUNS:-"fresh retries"}
RETRY_PERCENT=${RETRY_PERCENT:-10}
SERVERS=${SERVERS:-"zhangfang-sqlite zhangfang-postgres baseline node python"}
BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=${PORT:-18080}
TOKEN=BenchToken2026
KEY=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
CORP=wwbench000000000001

RESULTS=bench/results
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$RESULTS" "$WORK"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$RESULTS/callback-$stamp.md"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then stop_server; fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "installing $2"; apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
[ -d bench/node_modules/@wecom/crypto ] || npm install --prefix bench --no-save --silent @wecom/crypto@1
if ! bench/.venv/bin/python -c "import wechatpy, cryptography" 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q wechatpy cryptography
fi

echo "building release binaries"
cargo build --release --quiet --bin zhangfang --example callback_baseline

# Signed now, so zhangfang's freshness window (30 minutes) accepts them as it would WeCom's.
now=$(date +%s)
for run in $RUNS; do
  percent=0
  [ "$run" = retries ] && percent=$RETRY_PERCENT
  # Kept events (KEEP_WORK=1) are made again once they are 25 minutes old: they carry the time
  # they were signed, and past zhangfang's 30-minute window every request would be refused.
  if [ ! -s "$WORK/$run.tsv" ] || [ $((now - $(stat -c %Y "$WORK/$run.tsv"))) -gt 1500 ]; then
    echo "generating $EVENTS signed requests ($percent % retries) with @wecom/crypto"
    NODE_PATH=bench/node_modules node bench/peers/make_events.js "$EVENTS" "$TOKEN" "$KEY" "$CORP" \
      "$WORK/$run.tsv" "$now" "$percent" "$THREADS" | tee "$WORK/$run.info"
  fi
done
export EVENTS THREADS

wait_for_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on $PORT did not start" >&2
  return 1
}

# The process and its children (cluster workers, forked processes).
tree() { echo "$1"; pgrep -P "$1" || true; }

# Samples the resident memory of the server's process tree every 200 ms until told to stop.
sample_rss() {
  local pid=$1 out=$2
  while kill -0 "$pid" 2>/dev/null; do
    local total=0
    for p in $(tree "$pid"); do
      total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo "$total" >>"$out"
    sleep 0.2
  done
}

pg_bench_url() { echo "${BENCH_DATABASE_URL%/*}/zf_bench"; }

start_server() {
  local name=$1
  case "$name" in
    zhangfang-sqlite|zhangfang-postgres)
      local url="sqlite://$WORK/bench.db"
      if [ "$name" = zhangfang-postgres ]; then
        psql -q -X "$BENCH_DATABASE_URL" -c "DROP DATABASE IF EXISTS zf_bench WITH (FORCE)" -c "CREATE DATABASE zf_bench" >/dev/null
        url=$(pg_bench_url)
      fi
      rm -rf "$WORK"/bench.db* "$WORK/data"
      ZHANGFANG_SERVER__LISTEN="127.0.0.1:$PORT" ZHANGFANG_SERVER__DATA_DIR="$WORK/data" \
        ZHANGFANG_DATABASE__URL="$url" ZHANGFANG_DEMO__ENABLED=false \
        ZHANGFANG_WECOM__CORP_ID="$CORP" ZHANGFANG_WECOM__AGENT_ID=1000002 \
        ZHANGFANG_WECOM__TOKEN="$TOKEN" ZHANGFANG_WECOM__ENCODING_AES_KEY="$KEY" \
        ZHANGFANG_LOG__FILTER=warn target/release/zhangfang serve >"$WORK/$name.log" 2>&1 &
      ;;
    baseline)
      target/release/examples/callback_baseline "127.0.0.1:$PORT" "$TOKEN" "$KEY" "$CORP" >"$WORK/$name.log" 2>&1 &
      ;;
    node)
      NODE_PATH=bench/node_modules node bench/peers/node_server.js "$PORT" "$TOKEN" "$KEY" "$CORP" >"$WORK/$name.log" 2>&1 &
      ;;
    python)
      bench/.venv/bin/python bench/peers/python_server.py "$PORT" "$TOKEN" "$KEY" "$CORP" >"$WORK/$name.log" 2>&1 &
      ;;
  esac
  server_pid=$!
  wait_for_port
  # Let every cluster worker / forked process bind before the load starts.
  sleep 1
}

stop_server() {
  local pids
  pids=$(tree "$server_pid")
  kill $pids 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

stored_rows() {
  case "$1" in
    zhangfang-sqlite) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from callback_inbox').fetchone()[0])" "$WORK/bench.db" ;;
    zhangfang-postgres) psql -X -At "$(pg_bench_url)" -c "select count(*) from callback_inbox" ;;
    *) echo "-" ;;
  esac
}

# wrk prints latencies as 1.23ms / 456.00us / 1.02s; normalise to ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

{
  echo "# Callback load test $stamp"
  echo
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, no warm-up; each thread walks its own share of $EVENTS signed requests once"
  for run in $RUNS; do echo "- $run: $(cat "$WORK/$run.info")"; done
  echo
  echo "| run | server | stores events | req/s | stored rows/s | p50 ms | p99 ms | non-2xx | steady RSS (MB) | rows stored | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"

for run in $RUNS; do
  export EVENTS_FILE="$WORK/$run.tsv"
  for name in $SERVERS; do
    echo "== $run / $name"
    start_server "$name"
    before=$(stored_rows "$name")
    rss="$WORK/$name.rss"
    : >"$rss"
    sample_rss "$server_pid" "$rss" &
    sampler=$!
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/wrk_events.lua "http://127.0.0.1:$PORT" | tee "$WORK/$run-$name.wrk"
    load=$(cut -d' ' -f1 /proc/loadavg)
    kill "$sampler" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$run-$name.wrk")
    seconds=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' "$WORK/$run-$name.wrk")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/$run-$name.wrk")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/$run-$name.wrk")")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$run-$name.wrk")
    if grep -q "wrapped=[1-9]" "$WORK/$run-$name.wrk"; then
      echo "WARNING: a wrk thread ran out of its share and replayed events; raise EVENTS" | tee -a "$report"
    fi
    # Steady state: the median of the second half of the samples.
    samples=$(wc -l <"$rss")
    steady=$(tail -n +"$((samples / 2 + 1))" "$rss" | sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1024}')
    sleep 0.5
    after=$(stored_rows "$name")
    stop_server
    case "$name" in
      zhangfang-*)
        stores=yes
        rows=$((after - before))
        rows_per_s=$(awk -v r="$rows" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')
        ;;
      *) stores=no; rows="-"; rows_per_s="-" ;;
    esac
    echo "| $run | $name | $stores | $rps | $rows_per_s | $p50 | $p99 | ${non2xx:-0} | $steady | $rows | $load |" >>"$report"
  done
done

echo
cat "$report"
