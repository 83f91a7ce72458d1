#!/usr/bin/env bash
# Spreadsheet import at scale: `zhangfang import` of ROWS invoice rows (GBK CSV, as Excel in
# China saves it) into a fresh database, timed end to end — process start, migrations check,
# reading and checking the file, every row through the REST API's upsert, one commit. Target:
# 50,000 rows in under 30 s on a 2-core machine. See docs/benchmarks.md for results.
#
#   bench/import-invoices.sh                      # SQLite, 50,000 rows
#   DB=postgres bench/import-invoices.sh          # PostgreSQL at $BENCH_DATABASE_URL
#   ROWS=100000 CUSTOMERS=2000 bench/import-invoices.sh
#
# Runs, in order: customers (setup, not timed), invoices dry run, invoices (all created), the same
# file again (all unchanged), and the file with every amount changed (all updated).
# Needs: a release build (`cargo build --release --bin zhangfang`), Python 3, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-50000}
CUSTOMERS=${CUSTOMERS:-500}
DB=${DB:-sqlite}
BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BIN=${BIN:-target/release/zhangfang}
CORP=wwimportbench0001
[ -x "$BIN" ] || { echo "build first: cargo build --release --bin zhangfang" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ZHANGFANG_SERVER__DATA_DIR="$WORK"
export ZHANGFANG_SECURITY__MASTER_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
export ZHANGFANG_DEMO__ENABLED=false
export ZHANGFANG_LOG__FILTER=warn
unset ZHANGFANG_CONFIG RUST_LOG
case "$DB" in
  sqlite) export ZHANGFANG_DATABASE__URL="sqlite://$WORK/bench.db" ;;
  postgres)
    psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS zf_import_bench WITH (FORCE)"
    psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE zf_import_bench"
    export ZHANGFANG_DATABASE__URL="${BENCH_DATABASE_URL%/*}/zf_import_bench" ;;
  *) echo "DB must be sqlite or postgres" >&2; exit 1 ;;
esac

python3 - "$WORK" "$ROWS" "$CUSTOMERS" <<'PY'
import sys, random
work, rows, customers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(20261201)
with open(f"{work}/customers.csv", "wb") as f:
    lines = ["客户编号,客户名称,纳税人类型"]
    lines += [f"KH{i:05d},基准测试客户{i:05d}有限公司,小规模纳税人" for i in range(customers)]
    f.write(("\r\n".join(lines) + "\r\n").encode("gbk"))
def invoices(path, bump):
    lines = ["客户编号,进销项,发票类型,发票号码,开票日期,对方名称,金额（元）,税率,税额（元）,价税合计（元）"]
    r = random.Random(7)
    for i in range(rows):
        fen = r.randrange(100, 10_000_000) + bump
        tax = fen // 100
        yuan = lambda v: f"\"{v // 100:,}.{v % 100:02d}\""
        day = 1 + i % 28
        lines.append(
            f"KH{i % customers:05d},{'销项' if i % 3 else '进项'},数电普票,{24330000000000000000 + i},"
            f"2026/11/{day},对方单位{r.randrange(1000):04d}有限公司,{yuan(fen)},1%,{yuan(tax)},{yuan(fen + tax)}"
        )
    with open(path, "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode("gbk"))
invoices(f"{work}/invoices.csv", 0)
invoices(f"{work}/invoices-changed.csv", 1)
PY

"$BIN" migrate >/dev/null
"$BIN" firm create --corp-id "$CORP" --name 导入基准测试事务所 >/dev/null
"$BIN" import --firm "$CORP" --kind customers "$WORK/customers.csv" >/dev/null

echo "import of $ROWS invoice rows ($(du -h "$WORK/invoices.csv" | cut -f1) GBK CSV), $DB, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$BIN" import --firm "$CORP" --kind invoices "$@" >"$WORK/out" 2>"$WORK/err" || {
    echo "$label failed:"; cat "$WORK/out" "$WORK/err"; exit 1; }
  read -r secs kb user sys <"$WORK/time"
  printf "%-24s %7ss  (CPU %5ss user %5ss sys)  peak RSS %4d MB  %s\n" "$label" "$secs" "$user" "$sys" $((kb / 1024)) "$(sed -n 2p "$WORK/out")"
}
run "dry run" --dry-run "$WORK/invoices.csv"
run "first import (creates)" "$WORK/invoices.csv"
run "same file again" "$WORK/invoices.csv"
run "every amount changed" "$WORK/invoices-changed.csv"
