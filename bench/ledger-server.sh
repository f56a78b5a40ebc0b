# Sourced by bench/ledger.sh and bench/ledger-floor.sh: the server settings and bench process settings both measure
# with, then a throwaway PostgreSQL cluster (removed on exit) whose connection string is in OBOL_BENCH_POSTGRES.
source scripts/postgres.sh

# A write-heavy server's usual settings (the defaults are sized for a small, mostly idle server): with 1 GB of WAL
# between checkpoints a bulk run checkpoints every ~20 s, and every checkpoint makes the next change to each page
# log the whole page; 8 MB of WAL buffers fill in a few milliseconds, leaving backends to write WAL themselves.
# Durability is untouched: synchronous_commit, fsync and full_page_writes keep their defaults.
PG_EXTRA_OPTIONS="${PG_EXTRA_OPTIONS:--c max_wal_size=8GB -c wal_buffers=64MB}"
export PG_EXTRA_OPTIONS
# A bulk call's objects (its 10,000 transactions, their rows and outcomes) live for about a second. With .NET's
# default first-generation budget, collections run while they are alive and copy them into older generations; with
# 512 MiB most die before a collection (measured: about 2 µs less client CPU per transfer, 8.0-8.6 -> 6.6). A process
# that books in bulk is worth running this way.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x20000000}"
pg_start_throwaway_cluster
trap pg_stop_throwaway_cluster EXIT
export OBOL_BENCH_POSTGRES="$PG_ADMIN_CONNECTION"
echo "PostgreSQL $(pg_server_version) on port $PG_PORT ($PG_EXTRA_OPTIONS); DOTNET_GCgen0size=$DOTNET_GCgen0size"
