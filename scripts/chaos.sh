#!/usr/bin/env bash
# Obol's permanent fault test (tests/Obol.Chaos/README.md): N Obol nodes on one throwaway PostgreSQL 15 against a
# standalone PSP simulator, payments from concurrent clients while a nemesis kills nodes, restarts PostgreSQL and
# injects PSP faults and incidents; then heal, replay, reconcile and check. Exit 0: passed; 1: violations; 2: the
# harness failed.
# Usage: scripts/chaos.sh [--seed N] [--payments N] [--nodes N] [--short] [--runs K] [--configuration Debug|Release]
#                         [--keep] [--no-build] [--workers N] [--rate N] [--run-root DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

configuration=Debug
build=1
keep=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --configuration) configuration="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; args+=("$1"); shift ;;
    --short) args+=("$1"); shift ;;
    --seed|--payments|--nodes|--runs|--workers|--rate|--run-root) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "chaos.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  dotnet build -c "$configuration" tests/Obol.Chaos -nologo -v quiet
fi

out() { echo "$PWD/$1/bin/$configuration/net10.0/$2"; }
chaos_dll="$(out tests/Obol.Chaos Obol.Chaos.dll)"
server_dll="$(out src/Obol.Server Obol.Server.dll)"
simulator_dll="$(out src/Obol.PspSimulator Obol.PspSimulator.dll)"
for dll in "$chaos_dll" "$server_dll" "$simulator_dll"; do
  [ -f "$dll" ] || { echo "chaos.sh: $dll is missing; build with: dotnet build -c $configuration tests/Obol.Chaos" >&2; exit 2; }
done

stop_cluster() {
  if [ "$keep" = 1 ]; then
    echo "PostgreSQL left running for --keep: $PG_DIR (port $PG_PORT); stop it with: source scripts/postgres.sh; PG_DIR=$PG_DIR PG_BIN=$PG_BIN PG_OWNER=$PG_OWNER pg_stop_throwaway_cluster"
  else
    pg_stop_throwaway_cluster
  fi
}
pg_start_throwaway_cluster
trap stop_cluster EXIT
echo "PostgreSQL $(pg_server_version) on port $PG_PORT for the chaos test"

pg_owner=()
if [ "$(id -u)" = "0" ]; then pg_owner=(--pg-owner "$PG_OWNER"); fi
export DOTNET_gcServer=0
dotnet "$chaos_dll" --server-dll "$server_dll" --simulator-dll "$simulator_dll" \
  --pg-bin "$PG_BIN" --pg-data "$PG_DIR/data" --pg-log "$PG_DIR/server.log" --pg-admin "$PG_ADMIN_CONNECTION" ${pg_owner[@]+"${pg_owner[@]}"} \
  ${args[@]+"${args[@]}"}
