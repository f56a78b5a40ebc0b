#!/usr/bin/env bash
# Payments through HTTP per second on SQLite and PostgreSQL, against pgbench's TPC-B on the same throwaway
# PostgreSQL cluster in the same run, for one merchant and for one merchant per client. Usage: bench/payments.sh
# (OBOL_BENCH_SECONDS, OBOL_BENCH_CLIENTS, OBOL_BENCH_SKIP_SQLITE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
seconds="${OBOL_BENCH_SECONDS:-10}"
clients="${OBOL_BENCH_CLIENTS:-16}"
export OBOL_BENCH_SECONDS="$seconds" OBOL_BENCH_CLIENTS="$clients"

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
echo "PostgreSQL $(pg_server_version) on port $PG_PORT"

dotnet build -c Release bench/Obol.Bench.Payments >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres pgbench
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
pgbench_out="$("$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -b tpcb-like -c "$clients" -j 2 -T "$seconds" pgbench 2>/dev/null)"
pgbench_tps="$(echo "$pgbench_out" | awk '/^tps = / {print int($3); exit}')"
echo "pgbench tpcb-like: tps=$pgbench_tps clients=$clients"

export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
out="$(dotnet run -c Release --no-build --project bench/Obol.Bench.Payments)"
echo "$out"
# Each mix's payments/s against pgbench's tps, and its CPU per payment (this process and PostgreSQL's backends).
echo "$out" | python3 -c "
import re, sys
for line in sys.stdin:
    m = re.match(r'(\w+)/(\w+): payments_per_second=(\d+) .*process_cpu_ms_per_payment=([\d.]+) postgres_cpu_ms_per_payment=([\d.]+)', line)
    if m:
        provider, mix, rate, process, pg = m.groups()
        print(f'{provider} {mix}: {int(rate) / $pgbench_tps:.3f} x pgbench tps, {float(process) + float(pg):.2f} ms CPU per payment')
"
