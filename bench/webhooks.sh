#!/usr/bin/env bash
# Merchant webhooks on a throwaway PostgreSQL cluster: deliveries per second (10 endpoints, 1,000 objects x 10 events)
# against plain loopback POSTs in the same run, commit-to-delivery latency at half that load, and the CPU a payments run
# spends with and without an endpoint (receiver in its own process). Usage: bench/webhooks.sh
# (OBOL_BENCH_OBJECTS, OBOL_BENCH_PHASES=throughput,latency,payments, OBOL_BENCH_ROUNDS, OBOL_BENCH_IN_FLIGHT, and
# OBOL_BENCH_SETTINGS: extra host arguments for every node, e.g. "--Obol:Webhooks:Dispatcher:BatchWindow=00:00:00.100")
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
echo "PostgreSQL $(pg_server_version) on port $PG_PORT"
dotnet build -c Release bench/Obol.Bench.Webhooks >/dev/null
OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION" dotnet run -c Release --no-build --project bench/Obol.Bench.Webhooks
