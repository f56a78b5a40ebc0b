#!/usr/bin/env bash
# Runs every Obol test on SQLite and on a real PostgreSQL 15 that this script starts and throws away.
# Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/postgres.sh

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_TEST_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT for the tests"

results="$(mktemp -d)"
status=0
dotnet test Obol.slnx --logger "trx" --results-directory "$results" "$@" || status=$?
python3 scripts/summarize_trx.py "$results" || status=1
exit $status
