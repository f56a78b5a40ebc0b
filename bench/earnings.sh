#!/usr/bin/env bash
# Runs the courier-earnings benchmark against a throwaway PostgreSQL cluster (started and removed here) and SQLite.
# Usage: bench/earnings.sh   (OBOL_BENCH_BATCHES: PostgreSQL batches, default 300, SQLite runs a quarter;
# OBOL_BENCH_WRITERS: concurrent PostgreSQL writers, default 4; OBOL_BENCH_SKIP_SQLITE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT"
dotnet build -c Release bench/Obol.Bench.Earnings >/dev/null

# The machine is shared and its speed moves by a third within an hour: pgbench's TPC-B on the same cluster, just
# before, is the yardstick the ingestion rates are divided by.
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres pgbench
"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
OBOL_BENCH_PGBENCH_TPS="$("$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -b tpcb-like -c 8 -j 2 -T 8 pgbench 2>/dev/null \
  | awk '/^tps = / {print int($3); exit}')"
export OBOL_BENCH_PGBENCH_TPS
echo "pgbench tpcb-like, 8 clients: $OBOL_BENCH_PGBENCH_TPS tps"
dotnet run -c Release --no-build --project bench/Obol.Bench.Earnings
