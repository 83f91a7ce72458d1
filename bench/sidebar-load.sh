#!/usr/bin/env bash
# Load test of the sidebar at profile L (5,000 customers): the customer panel for a chat,
# `GET /sidebar/contact/{external_userid}`, and each section fragment
# `GET /sidebar/customers/{id}/{section}` (with `HX-Request: true`, as the shell asks for them).
# Targets (issue 9 §8, issue 10 §6): p99 < 10 ms at 16 connections, >= 2,000 pages/s on two
# cores, RSS while serving < 64 MB. See docs/benchmarks.md for results and how to read them.
#
# What it does, for each database in DBS:
# - starts the release server with `[demo] profile = "L"` on an empty data directory and its own
#   database (SQLite under WORK, or a fresh `zf_sidebar_bench` database at BENCH_DATABASE_URL's
#   server), and waits for /healthz (answered once the L seed is in);
# - plays WeCom with a sandbox of its own (`zhangfang sandbox`, SANDBOX=external, the default) made
#   from the seed the demo firm records, so the server's memory is the server's, as in production
#   where WeCom runs elsewhere; SANDBOX=in-app measures the demo as `cargo run` starts it, with
#   the sandbox inside the server;
# - signs in as the demo firm's first bound employee who sees every customer, through the
#   sandbox's OAuth exactly as a browser does (signin -> authorize -> pick -> callback),
#   keeping the session cookie;
# - takes IDS different external_userids linked to customers (and the customers behind them)
#   from the database, in a fixed shuffled order, and has wrk walk them (bench/wrk_paths.lua),
#   each thread from its own place, so concurrent requests ask for different customers;
# - warms up for WARMUP (not counted), then measures the panel at CONNECTIONS connections and at
#   one connection (the unloaded latency), then every section at CONNECTIONS connections;
# - samples the server's RSS every 200 ms while it serves, and records the load average beside
#   each measurement (the machine may be shared: compare runs made under the same load).
#
#   bench/sidebar-load.sh                       # SQLite and PostgreSQL
#   DBS=sqlite DURATION=5s bench/sidebar-load.sh
#   SECTIONS="basic billing" bench/sidebar-load.sh
#   KEEP_WORK=1 WORK=/tmp/zf-sidebar bench/sidebar-load.sh          # seed once, keep it
#   FRESH=0 KEEP_WORK=1 WORK=/tmp/zf-sidebar BIN=/tmp/other-build bench/sidebar-load.sh
#
# Needs: a release build (`cargo build --release --bin zhangfang`), wrk, curl, sqlite3, psql.
set -euo pipefail
cd "$(dirname "$0")/.."

DBS=${DBS:-"sqlite postgres"}
DURATION=${DURATION:-10s}
SECTION_DURATION=${SECTION_DURATION:-5s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
IDS=${IDS:-2000}
SECTIONS=${SECTIONS-"basic service followups kb billing collection filings reports invoices"}
BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=${PORT:-18190}
SANDBOX=${SANDBOX:-external}
SANDBOX_PORT=${SANDBOX_PORT:-$((PORT + 1))}
BIN=${BIN:-target/release/zhangfang}
# FRESH=0 keeps the seeded database of an earlier run (with KEEP_WORK=1 and the same WORK; on
# PostgreSQL the zf_sidebar_bench database), so two builds can be compared on the same data.
FRESH=${FRESH:-1}
# Seeding L into PostgreSQL on a busy machine takes minutes.
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-900}
BASE="http://127.0.0.1:$PORT"
[ -x "$BIN" ] || { echo "build first: cargo build --release --bin zhangfang" >&2; exit 1; }
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }

RESULTS=bench/results
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$RESULTS" "$WORK"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$RESULTS/sidebar-$stamp.md"
server_pid=""
sandbox_pid=""
sampler=""
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  [ -z "$server_pid" ] || stop_server
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

pg_url() { echo "${BENCH_DATABASE_URL%/*}/zf_sidebar_bench"; }

# One value per line from the bench database.
sql() {
  case "$db" in
    sqlite) sqlite3 -batch -noheader "$WORK/sqlite/zhangfang.db" "$1" ;;
    postgres) psql -X -At "$(pg_url)" -c "$1" ;;
  esac
}

start_server() {
  local url
  if [ "$FRESH" = 1 ]; then
    rm -rf "${WORK:?}/$db"
    [ "$db" != postgres ] || psql -q -X "$BENCH_DATABASE_URL" \
      -c "DROP DATABASE IF EXISTS zf_sidebar_bench WITH (FORCE)" -c "CREATE DATABASE zf_sidebar_bench" >/dev/null
  fi
  mkdir -p "$WORK/$db"
  case "$db" in
    sqlite) url="sqlite://$WORK/sqlite/zhangfang.db" ;;
    postgres) url=$(pg_url) ;;
  esac
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is taken by another process; choose another with PORT=" >&2
    return 1
  fi
  local started wecom=()
  if [ "$SANDBOX" = external ]; then
    local at="http://127.0.0.1:$SANDBOX_PORT"
    wecom=(ZHANGFANG_WECOM__API_BASE="$at" ZHANGFANG_WECOM__OAUTH_BASE="$at" ZHANGFANG_WECOM__LOGIN_BASE="$at")
  fi
  started=$(date +%s.%N)
  env "${wecom[@]}" ZHANGFANG_SERVER__LISTEN="127.0.0.1:$PORT" ZHANGFANG_SERVER__PUBLIC_URL="" \
    ZHANGFANG_SERVER__DATA_DIR="$WORK/$db/data" ZHANGFANG_DATABASE__URL="$url" \
    ZHANGFANG_DEMO__ENABLED=true ZHANGFANG_DEMO__PROFILE=L ZHANGFANG_LOG__FILTER=warn \
    "$BIN" serve >"$WORK/$db/server.log" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fs -o /dev/null "$BASE/healthz"; then
      start_seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not become healthy; its log:" >&2
  tail -20 "$WORK/$db/server.log" >&2
  return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
  fi
}

# The WeCom sandbox as its own process, playing the corp of the seed the demo firm records.
start_sandbox() {
  local firm=$1 profile seed as_of
  case "$db" in
    sqlite) read -r profile seed as_of < <(sql "SELECT json_extract(settings, '$.seed.profile'), \
      json_extract(settings, '$.seed.seed'), json_extract(settings, '$.seed.as_of') FROM firm WHERE id = $firm" | tr '|' ' ') ;;
    postgres) read -r profile seed as_of < <(psql -X -At -F ' ' "$(pg_url)" -c "SELECT settings->'seed'->>'profile', \
      settings->'seed'->>'seed', settings->'seed'->>'as_of' FROM firm WHERE id = $firm") ;;
  esac
  printf '{"profile": "%s", "seed": %s, "as_of": "%s", "trusted_redirect_hosts": ["127.0.0.1:%s"]}\n' \
    "$profile" "$seed" "$as_of" "$PORT" >"$WORK/$db/sandbox.json"
  if (exec 3<>"/dev/tcp/127.0.0.1/$SANDBOX_PORT") 2>/dev/null; then
    echo "port $SANDBOX_PORT is taken by another process; choose another with SANDBOX_PORT=" >&2
    return 1
  fi
  ZHANGFANG_LOG__FILTER=warn "$BIN" sandbox --listen "127.0.0.1:$SANDBOX_PORT" \
    --seed "$WORK/$db/sandbox.json" >"$WORK/$db/sandbox.log" 2>&1 &
  sandbox_pid=$!
  local deadline=$((SECONDS + 120))
  until (exec 3<>"/dev/tcp/127.0.0.1/$SANDBOX_PORT") 2>/dev/null; do
    kill -0 "$sandbox_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ] || {
      echo "the sandbox did not start; its log:" >&2
      tail -20 "$WORK/$db/sandbox.log" >&2
      return 1
    }
    sleep 0.1
  done
}

# Sign-in as a browser does it in demo mode: /sidebar/signin redirects to the sandbox's OAuth
# page, whose pick link for a member redirects back to /sidebar/oauth/callback with a code.
sign_in() {
  local userid=$1 jar="$WORK/$db/cookies" authorize callback
  authorize=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' \
    "$BASE/sidebar/signin?next=%2Fsidebar")
  authorize=${authorize%#wechat_redirect}
  [[ "$authorize" == *"/connect/oauth2/authorize?"* ]] || { echo "unexpected sign-in redirect: $authorize" >&2; return 1; }
  callback=$(curl -s -o /dev/null -w '%{redirect_url}' \
    "${authorize/\/connect\/oauth2\/authorize\?//connect/oauth2/authorize/pick?}&userid=$userid")
  [[ "$callback" == *"/sidebar/oauth/callback?"* ]] || { echo "unexpected OAuth redirect: $callback" >&2; return 1; }
  curl -s -c "$jar" -b "$jar" -o /dev/null "$callback"
  local value
  value=$(awk '$6 == "zf_session" { print $7 }' "$jar")
  [ -n "$value" ] || { echo "no session cookie after sign-in" >&2; return 1; }
  SESSION_COOKIE="zf_session=$value"
}

# Samples the server's resident memory (kB) every 200 ms until killed.
sample_rss() {
  while kill -0 "$server_pid" 2>/dev/null; do
    awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true
    sleep 0.2
  done
}

rss_now() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

# wrk prints latencies as 1.23ms / 456.00us / 1.02s; normalise to ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

# run NAME PATHS_FILE FRAGMENT CONNECTIONS THREADS DURATION: one measured wrk window, one table row.
run() {
  local name=$1 paths=$2 fragment=$3 conns=$4 threads=$5 duration=$6 out rss
  out="$WORK/$db/$name-c$conns.wrk"
  rss="$WORK/$db/$name-c$conns.rss"
  sample_rss >"$rss" &
  sampler=$!
  PATHS_FILE="$paths" FRAGMENT="$fragment" THREADS="$threads" SESSION_COOKIE="$SESSION_COOKIE" \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s bench/wrk_paths.lua "$BASE" >"$out"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=""
  local load rps p50 p99 non2xx errors rss_med rss_max
  load=$(cut -d' ' -f1 /proc/loadavg)
  rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  non2xx=$(awk '/Non-2xx/ { print $5 }' "$out")
  errors=$(awk '/Socket errors/ { print $0 }' "$out")
  rss_med=$(sort -n "$rss" | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1024 }')
  rss_max=$(sort -n "$rss" | awk 'END { printf "%.1f", $1 / 1024 }')
  echo "| $db | $name | $conns | $rps | $p50 | $p99 | ${non2xx:-0} | $rss_med / $rss_max | $load |" >>"$report"
  echo "$db $name c=$conns: $rps pages/s, p50 $p50 ms, p99 $p99 ms, non-2xx ${non2xx:-0}, RSS $rss_med / $rss_max MB, load $load"
  if [ -n "${non2xx:-}" ] || [ -n "$errors" ]; then
    echo "WARNING: $db $name: ${non2xx:-0} non-2xx answers ${errors}" | tee -a "$WORK/warnings"
  fi
}

{
  echo "# Sidebar load test $stamp"
  echo
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src templates || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (sections -d$SECTION_DURATION) after a $WARMUP warm-up; one-connection runs wrk -t1 -c1 -d$DURATION; $IDS different chats / customers walked in turn"
  echo "- RSS: the server's VmRSS sampled every 200 ms during each window, median / max"
  echo "- WeCom: $([ "$SANDBOX" = external ] && echo 'a sandbox in its own process (not counted in RSS), as WeCom is in production' || echo 'the sandbox inside the server (demo mode), counted in RSS')"
  echo
  echo "| db | page | connections | pages/s | p50 ms | p99 ms | non-2xx | RSS MB (median / max) | load avg (1 min) |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$report"

for db in $DBS; do
  echo "== $db: starting with profile L"
  start_server
  firm=$(sql "SELECT id FROM firm WHERE is_demo = TRUE ORDER BY id LIMIT 1")
  [ "$SANDBOX" != external ] || start_sandbox "$firm"
  userid=$(sql "SELECT wecom_userid FROM employee WHERE firm_id = $firm AND wecom_userid IS NOT NULL \
    AND status = 'active' AND deleted_at IS NULL AND (role IN ('super_admin', 'admin') OR data_scope = 'all') \
    ORDER BY id LIMIT 1")
  sign_in "$userid"
  # A fixed shuffle (by a multiplicative hash of the id), the same on both databases.
  sql "SELECT x.external_userid FROM customer_external_link l \
    JOIN wecom_external_contact x ON x.firm_id = l.firm_id AND x.id = l.external_contact_id \
    JOIN customer c ON c.firm_id = l.firm_id AND c.id = l.customer_id \
    WHERE l.firm_id = $firm AND x.deleted_at IS NULL AND c.deleted_at IS NULL \
    GROUP BY x.id, x.external_userid ORDER BY (x.id * 7919) % 10007, x.id LIMIT $IDS" |
    sed 's|^|/sidebar/contact/|' >"$WORK/$db/panel.paths"
  sql "SELECT c.id FROM customer c WHERE c.firm_id = $firm AND c.deleted_at IS NULL \
    AND EXISTS (SELECT 1 FROM customer_external_link l WHERE l.firm_id = c.firm_id AND l.customer_id = c.id) \
    ORDER BY (c.id * 7919) % 10007, c.id LIMIT $IDS" >"$WORK/$db/customers"
  chats=$(wc -l <"$WORK/$db/panel.paths")
  customers=$(wc -l <"$WORK/$db/customers")
  check=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $SESSION_COOKIE" \
    "$BASE$(head -1 "$WORK/$db/panel.paths")")
  [ "$check" = 200 ] || { echo "signed-in panel answered $check" >&2; exit 1; }
  echo "- $db: start to /healthz $start_seconds s ($([ "$FRESH" = 1 ] && echo 'seeding L' || echo 'already seeded')); RSS at /healthz $(rss_now) MB; signed in as $userid; $chats chats, $customers customers" >>"$report.notes"

  PATHS_FILE="$WORK/$db/panel.paths" THREADS=$THREADS SESSION_COOKIE="$SESSION_COOKIE" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/wrk_paths.lua "$BASE" >/dev/null
  run panel "$WORK/$db/panel.paths" 0 "$CONNECTIONS" "$THREADS" "$DURATION"
  run panel "$WORK/$db/panel.paths" 0 1 1 "$DURATION"
  run panel-fragment "$WORK/$db/panel.paths" 1 "$CONNECTIONS" "$THREADS" "$DURATION"
  for section in $SECTIONS; do
    sed "s|.*|/sidebar/customers/&/$section|" "$WORK/$db/customers" >"$WORK/$db/$section.paths"
    run "$section" "$WORK/$db/$section.paths" 1 "$CONNECTIONS" "$THREADS" "$SECTION_DURATION"
  done
  echo "- $db: RSS after the runs $(rss_now) MB" >>"$report.notes"
  stop_server
done

{
  echo
  cat "$report.notes"
  [ ! -s "$WORK/warnings" ] || { echo; cat "$WORK/warnings"; }
} >>"$report"
rm -f "$report.notes"
echo
cat "$report"
