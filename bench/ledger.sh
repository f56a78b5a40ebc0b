#!/usr/bin/env bash
# Runs the ledger benchmark against a throwaway PostgreSQL cluster (started and removed here) and SQLite.
# Usage: bench/ledger.sh   (OBOL_BENCH_SECONDS sets the length of each measurement, default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT"
dotnet run -c Release --project bench/Obol.Bench.Ledger
