#!/usr/bin/env bash
# Load test of the WeCom callback endpoint, side by side with the peers users would otherwise
# pick. Every server verifies the signature and decrypts each event; only zhangfang also stores
# it (committed before the ack). See docs/benchmarks.md for results and how to read them.
#
#   bench/callback-load.sh            # all servers, defaults below
#   DURATION=30s CONNECTIONS=128 bench/callback-load.sh
#   SERVERS="zhangfang-sqlite node" bench/callback-load.sh
#
# Needs: wrk (Debian package), Node.js + npm, Python 3; installs @wecom/crypto (npm) and wechatpy
# (PyPI) under bench/ on first use. PostgreSQL runs use $BENCH_DATABASE_URL's server.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-60000}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SERVERS=${SERVERS:-"zhangfang-sqlite zhangfang-postgres baseline node python"}
BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18080
TOKEN=BenchToken2026
KEY=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
CORP=wwbench000000000001

RESULTS=bench/results
WORK=$(mktemp -d)
mkdir -p "$RESULTS"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$RESULTS/callback-$stamp.md"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$WORK"
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

echo "generating $EVENTS signed events with @wecom/crypto"
NODE_PATH=bench/node_modules node bench/peers/make_events.js "$EVENTS" "$TOKEN" "$KEY" "$CORP" "$WORK/events.tsv"
export EVENTS_FILE="$WORK/events.tsv"

wait_for_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on $PORT did not start" >&2
  return 1
}

# Samples the server's resident memory every 200 ms until told to stop.
sample_rss() {
  local pid=$1 out=$2
  while kill -0 "$pid" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null >>"$out" || true
    sleep 0.2
  done
}

start_server() {
  local name=$1
  case "$name" in
    zhangfang-sqlite|zhangfang-postgres)
      local url="sqlite://$WORK/bench.db"
      if [ "$name" = zhangfang-postgres ]; then
        psql -q -X "$BENCH_DATABASE_URL" -c "DROP DATABASE IF EXISTS zf_bench WITH (FORCE)" -c "CREATE DATABASE zf_bench" >/dev/null
        url="${BENCH_DATABASE_URL%/*}/zf_bench"
      fi
      rm -f "$WORK"/bench.db*
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
}

stored_rows() {
  case "$1" in
    zhangfang-sqlite) python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from callback_inbox').fetchone()[0])" "$WORK/bench.db" ;;
    zhangfang-postgres) psql -X -At "${BENCH_DATABASE_URL%/*}/zf_bench" -c "select count(*) from callback_inbox" ;;
    *) echo "-" ;;
  esac
}

{
  echo "# Callback load test $stamp"
  echo
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), $EVENTS distinct signed events replayed in turn"
  echo
  echo "| server | stores events | req/s | p50 | p99 | non-2xx | steady RSS (MB) | rows stored |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$report"

for name in $SERVERS; do
  echo "== $name"
  start_server "$name"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/wrk_events.lua "http://127.0.0.1:$PORT" >/dev/null
  rss="$WORK/$name.rss"
  : >"$rss"
  sample_rss "$server_pid" "$rss" &
  sampler=$!
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/wrk_events.lua "http://127.0.0.1:$PORT" | tee "$WORK/$name.wrk"
  kill "$sampler" 2>/dev/null || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/$name.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/$name.wrk")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$name.wrk")
  # Steady state: the median of the second half of the samples.
  samples=$(wc -l <"$rss")
  steady=$(tail -n +"$((samples / 2 + 1))" "$rss" | sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1024}')
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  stored=$(stored_rows "$name")
  case "$name" in zhangfang-*) stores=yes ;; *) stores=no ;; esac
  echo "| $name | $stores | $rps | $p50 | $p99 | ${non2xx:-0} | $steady | $stored |" >>"$report"
done

echo
cat "$report"
