#!/usr/bin/env bash
# Runs the scheduled-payments benchmark against PostgreSQL: the cluster in OBOL_BENCH_POSTGRES (an admin
# Npgsql connection string) if set, otherwise a throwaway cluster started and removed here.
# Usage: bench/scheduling.sh [schedules] [batch size]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${OBOL_BENCH_POSTGRES:-}" ]; then
  source scripts/postgres.sh
  pg_start_throwaway_cluster
  trap pg_stop_throwaway_cluster EXIT
  export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
fi
dotnet run -c Release --project bench/Obol.Bench.Scheduling -- "$@"
