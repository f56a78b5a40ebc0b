#!/usr/bin/env bash
# Runs every Obol test on SQLite and on a real PostgreSQL 15 that this script starts and throws away, then the short
# fault test (scripts/chaos.sh --short, which builds tests/Obol.Chaos: `dotnet test` builds only test projects).
# Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/postgres.sh

pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_TEST_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT for the tests"

results="$(mktemp -d)"
# Every test server logs here instead of the console (tests/Obol.Testing/TestRunLog.cs); scanned for secrets below.
export OBOL_TEST_LOG_DIR="$results/logs"
mkdir -p "$OBOL_TEST_LOG_DIR"
status=0
# OpenApiDocumentTests writes the document it checked responses against here; tests/openapi/run.sh lints it below.
export OBOL_OPENAPI_DOCUMENT="$results/openapi.json"
dotnet test Obol.slnx --logger "trx" --results-directory "$results" "$@" || status=$?
python3 scripts/summarize_trx.py "$results" || status=1
# No API key and no card number the tests send may appear in what Obol logged during the whole run.
python3 scripts/scan_test_logs.py "$OBOL_TEST_LOG_DIR" || status=1
pg_stop_throwaway_cluster

# The served OpenAPI document, linted with @redocly/cli's recommended rules (tests/openapi/run.sh; needs node and npm).
tests/openapi/run.sh "$OBOL_OPENAPI_DOCUMENT" || status=1

# PSP wire fidelity: the official stripe and @adyen/api-library node clients against the standalone PSP simulator the
# tests just built (tests/psp-clients/run.sh; needs node, npm and openssl).
tests/psp-clients/run.sh || status=1

# A short schema-driven fuzz run (tests/fuzz) of the server the tests just built, on SQLite and on PostgreSQL: no 5xx,
# every refusal problem+json, nothing accepted that must be refused, no key or card number in the logs.
scripts/fuzz.sh --requests 1000 --seed 1 --database both --configuration Debug --no-build || status=1

# A few hundred payments on two nodes under kills, PostgreSQL restarts and PSP incidents, with a fixed seed
# (tests/Obol.Chaos/README.md); it starts its own PostgreSQL.
scripts/chaos.sh --short --seed 18 || status=1
exit $status
