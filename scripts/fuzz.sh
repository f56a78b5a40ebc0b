#!/usr/bin/env bash
# Fuzzes Obol's HTTP API (tests/fuzz/fuzz.mjs) against a freshly started server on a new SQLite file and/or a throwaway
# PostgreSQL cluster, then scans the server's logs. Exits non-zero if any failure was found.
#
#   scripts/fuzz.sh [--requests N] [--seed S] [--database sqlite|postgres|both] [--configuration Release|Debug] [--no-build] [--out DIR]
#
# A second merchant is created with `merchants create` for cross-merchant checks. Failures are JSON lines in
# DIR/<database>-failures.jsonl; the server's logs are DIR/<database>-server.log.
set -uo pipefail

REQUESTS=10000
SEED=1
DATABASE=both
BUILD=1
CONFIGURATION=Release
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --database) DATABASE="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --configuration) CONFIGURATION="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$DATABASE" in sqlite|postgres|both) ;; *) echo "--database must be sqlite, postgres or both" >&2; exit 2 ;; esac

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$(mktemp -d /tmp/obol-fuzz.XXXXXX)}"
mkdir -p "$OUT"
SERVER_DLL="$ROOT/src/Obol.Server/bin/$CONFIGURATION/net10.0/Obol.Server.dll"

if [ "$BUILD" = 1 ]; then
  echo "building Obol.Server ($CONFIGURATION)…"
  dotnet build -c "$CONFIGURATION" "$ROOT/src/Obol.Server" >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; exit 2; }
fi
[ -f "$SERVER_DLL" ] || { echo "$SERVER_DLL not found; build first or drop --no-build" >&2; exit 2; }

# shellcheck source=scripts/postgres.sh
source "$ROOT/scripts/postgres.sh"

SERVER_PID=""
PG_STARTED=0
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  SERVER_PID=""
  if [ "$PG_STARTED" = 1 ]; then pg_stop_throwaway_cluster; PG_STARTED=0; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
random_key() { echo "sk_test_fuzz$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

TOTAL_FAILED=0

run_one() {
  local db="$1" port key key2 conn provider log started rc log_failures=0
  port="$(free_port)"
  key="$(random_key)"
  log="$OUT/$db-server.log"
  if [ "$db" = sqlite ]; then
    provider=sqlite
    conn="Data Source=$OUT/$db.db"
  else
    pg_start_throwaway_cluster || { echo "cannot start PostgreSQL" >&2; return 2; }
    PG_STARTED=1
    provider=postgres
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE obol_fuzz" >/dev/null
    conn="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=obol_fuzz"
  fi
  # Production, as deployed, but against the in-process PSP simulator (off by default in Production).
  export Obol__Database__Provider="$provider" ConnectionStrings__Obol="$conn" Obol__PrintDevelopmentKey=false Obol__PspSimulator__Enabled=true

  # A second merchant (its key printed once) for cross-merchant checks; this also migrates the database.
  key2="$(dotnet "$SERVER_DLL" merchants create --name "Fuzz second merchant" 2>>"$log" | sed -n 's/^secret key[^:]*: //p')"
  [ -n "$key2" ] || echo "[$db] could not create a second merchant; cross-merchant checks are skipped" >&2

  ASPNETCORE_URLS="http://127.0.0.1:$port" Obol__BootstrapApiKey="$key" ASPNETCORE_ENVIRONMENT=Production \
    dotnet "$SERVER_DLL" >>"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "[$db] the server exited at start-up; see $log" >&2; return 2; }
    sleep 0.5
  done

  started=$(date +%s)
  node "$ROOT/tests/fuzz/fuzz.mjs" --base-url "http://127.0.0.1:$port" --api-key "$key" ${key2:+--api-key-2 "$key2"} \
    --seed "$SEED" --requests "$REQUESTS" --label "$db" --out "$OUT/$db-failures.jsonl" | tee "$OUT/$db-summary.txt"
  rc=${PIPESTATUS[0]}
  echo "[$db] fuzzer finished in $(( $(date +%s) - started )) s (exit $rc)"

  # Let the server finish background work (webhook deliveries, the resolver), then stop it and read its logs.
  sleep 2
  kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""

  local n
  n=$(grep -c -E 'Unhandled exception|"LogLevel":"(Error|Critical)"|^fail:|^crit:' "$log" || true)
  if [ "$n" -gt 0 ]; then
    echo "[$db] LOG: $n error lines (Unhandled exception / Error / Critical), e.g.:"
    grep -E 'Unhandled exception|"LogLevel":"(Error|Critical)"|^fail:|^crit:' "$log" | head -5 | cut -c1-400 | sed 's/^/    /'
    log_failures=$((log_failures + n))
  fi
  for secret in "$key" ${key2:+"$key2"}; do
    n=$(grep -c -F -- "$secret" "$log" || true)
    if [ "$n" -gt 0 ]; then echo "[$db] LOG: an API key appears in $n log lines"; log_failures=$((log_failures + n)); fi
  done
  if [ -s "$OUT/$db-failures.jsonl.cards.txt" ]; then
    # Card numbers as sent, digits only and in the 4-4-4-4 groupings the fuzzer uses.
    python3 - "$OUT/$db-failures.jsonl.cards.txt" "$log" >"$OUT/$db-card-log-hits.txt" <<'EOF'
import re, sys
cards = [l.strip() for l in open(sys.argv[1]) if l.strip()]
log = open(sys.argv[2], encoding='utf-8', errors='replace').read()
digits = re.sub(r'(?<=\d)[ -](?=\d)', '', log)
for c in cards:
    if c in digits:
        print(c)
EOF
    n=$(wc -l <"$OUT/$db-card-log-hits.txt")
    if [ "$n" -gt 0 ]; then echo "[$db] LOG: $n card numbers the fuzzer sent appear in the logs (see $OUT/$db-card-log-hits.txt)"; log_failures=$((log_failures + n)); fi
  fi
  echo "[$db] log scan: $log_failures failures"
  if [ "$db" = postgres ]; then pg_stop_throwaway_cluster; PG_STARTED=0; fi
  unset Obol__Database__Provider ConnectionStrings__Obol Obol__PspSimulator__Enabled
  if [ "$rc" -ne 0 ] || [ "$log_failures" -gt 0 ]; then TOTAL_FAILED=1; fi
  return 0
}

case "$DATABASE" in
  sqlite) run_one sqlite ;;
  postgres) run_one postgres ;;
  both) run_one sqlite; run_one postgres ;;
esac

echo "results in $OUT"
exit "$TOTAL_FAILED"
