#!/bin/sh
# Back up the records of the productops database to FILE (pg_dump custom format).
#   DATABASE_URL=postgres://user:pass@host:5432/productops docker/backup.sh productops-YYYYMMDD.dump
# Every table's schema is dumped, and every table's data except the KPI snapshots and
# dirty marks: those are derived from the records and rebuilt by `rollup_kpis --full`
# after a restore (docker/restore.sh). Needs the PostgreSQL client tools (pg_dump).
set -eu
out="${1:?usage: DATABASE_URL=postgres://... $0 FILE.dump}"
: "${DATABASE_URL:?DATABASE_URL must point at the database to back up}"

pg_dump --dbname="$DATABASE_URL" --format=custom --no-owner --no-privileges \
  --exclude-table-data=metrics_kpisnapshot \
  --exclude-table-data=metrics_dirtyrange \
  --file="$out"
echo "backed up to $out"
