#!/usr/bin/env bash
# PostgreSQL's own floor for the ledger's rows on this machine: how fast the server stores a bulk booking's
# transactions, transfers and entries when it is handed them ready-made, with no client work at all.
# It runs (b3) of the ledger bench once, exports its rows in binary COPY format in 8 slices (as (b3)'s 8 callers
# write them: each its own 125 consecutive accounts, entries in key order), and loads the slices into empty tables
# with the same indexes in 8 parallel server-side COPYs, one transaction each. Compare the figure with (b3): the
# bench's server CPU per transfer against the CPU per transfer here, and the rest of the machine's time that the
# client needs.
# Usage: bench/ledger-floor.sh   (same server settings as bench/ledger.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/ledger-server.sh
OBOL_BENCH_SKIP_SQLITE=1 OBOL_BENCH_ONLY=b3 dotnet run -c Release --project bench/Obol.Bench.Ledger \
  | grep -E "^\(b3\)|client CPU"

sql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$database" -v ON_ERROR_STOP=1 -Atqc "$1"; }
database=postgres
database=$(sql "SELECT datname FROM pg_database WHERE datname LIKE 'obol_bench_%' ORDER BY oid DESC LIMIT 1")
slices="$PG_DIR/slices"
mkdir -p "$slices"
chown "$(stat -c %U "$PG_DIR/data")" "$slices"
transfers=$(sql "SELECT count(*) FROM ledger_transfers")
first=$(sql "SELECT min(number) FROM ledger_accounts")
for k in 0 1 2 3 4 5 6 7; do
  sql "COPY (SELECT * FROM ledger_transactions WHERE hashtext(id) & 7 = $k ORDER BY merchant_id, id) TO '$slices/transactions.$k' (FORMAT BINARY)"
  sql "COPY (SELECT * FROM ledger_transfers WHERE hashtext(transaction_id) & 7 = $k ORDER BY id) TO '$slices/transfers.$k' (FORMAT BINARY)"
  sql "COPY (SELECT * FROM ledger_entries WHERE (account_no - $first) / 125 % 8 = $k ORDER BY account_no, sequence) TO '$slices/entries.$k' (FORMAT BINARY)"
done
sql "CREATE TABLE floor_transactions (LIKE ledger_transactions INCLUDING ALL);
     CREATE TABLE floor_transfers (LIKE ledger_transfers INCLUDING ALL);
     CREATE TABLE floor_entries (LIKE ledger_entries INCLUDING ALL);
     CHECKPOINT"

read -ra before < <(head -1 /proc/stat)
started=$(date +%s.%N)
loaders=()
for k in 0 1 2 3 4 5 6 7; do
  sql "BEGIN;
       COPY floor_transactions FROM '$slices/transactions.$k' (FORMAT BINARY);
       COPY floor_transfers FROM '$slices/transfers.$k' (FORMAT BINARY);
       COPY floor_entries FROM '$slices/entries.$k' (FORMAT BINARY);
       COMMIT" &
  loaders+=($!)
done
for loader in "${loaders[@]}"; do
  wait "$loader"
done
ended=$(date +%s.%N)
loaded=$(sql "SELECT count(*) FROM floor_transfers")
[ "$loaded" = "$transfers" ] || { echo "loaded $loaded transfers of $transfers" >&2; exit 1; }
read -ra after < <(head -1 /proc/stat)
# /proc/stat's first line: cpu user nice system idle iowait irq softirq steal ...; USER_HZ ticks (100 per second).
python3 - "$started" "$ended" "$transfers" "${before[*]}" "${after[*]}" <<'PY'
import sys
started, ended, transfers = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
before, after = [list(map(int, a.split()[1:])) for a in sys.argv[4:6]]
delta = [b - a for a, b in zip(before, after)]
idle = delta[3] + delta[4]
busy = sum(delta[:8]) - idle
seconds = ended - started
print(f"floor: {transfers:,} transfers (transaction, transfer, 2 entries each) in {seconds:.2f} s = {transfers / seconds:,.0f} transfers/s "
      f"by 8 parallel COPYs; the machine {busy / (busy + idle) * 100:.0f}% busy, {busy / 100 / transfers * 1e6:.1f} µs of CPU per transfer")
PY
