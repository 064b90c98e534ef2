#!/bin/sh
# Restore a backup made by docker/backup.sh into an EMPTY database, then rebuild the KPI snapshots.
#   createdb productops_restored
#   DATABASE_URL=postgres://user:pass@host:5432/productops_restored docker/restore.sh productops-YYYYMMDD.dump
# Stop web, worker and beat first (or point them at the new database afterwards).
# Runs from the project folder with the app's Python (the image, or .venv/bin on PATH).
set -eu
in="${1:?usage: DATABASE_URL=postgres://... $0 FILE.dump}"
: "${DATABASE_URL:?DATABASE_URL must point at the (empty) database to restore into}"
cd "$(dirname "$0")/.."

pg_restore --dbname="$DATABASE_URL" --no-owner --no-privileges --exit-on-error --single-transaction "$in"
python manage.py migrate --noinput        # the code may be newer than the backup
python manage.py rollup_kpis --full       # snapshots are derived: rebuild them from the records
echo "restored $in and rebuilt the KPI snapshots"
