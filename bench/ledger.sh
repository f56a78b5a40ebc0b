#!/usr/bin/env bash
# Runs the ledger benchmark against a throwaway PostgreSQL cluster (started and removed here) and SQLite.
# Usage: bench/ledger.sh   (OBOL_BENCH_SECONDS sets the length of each measurement, default 8; see
# bench/Obol.Bench.Ledger/Program.cs for the other knobs)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/ledger-server.sh
dotnet run -c Release --project bench/Obol.Bench.Ledger
