#!/usr/bin/env bash
# Runs the courier-earnings benchmark against a throwaway PostgreSQL cluster (started and removed here) and SQLite.
# Usage: bench/earnings.sh   (OBOL_BENCH_BATCHES: PostgreSQL batches, default 300, SQLite runs a quarter;
# OBOL_BENCH_WRITERS: concurrent PostgreSQL writers, default 4)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT"
dotnet run -c Release --project bench/Obol.Bench.Earnings
