#!/bin/sh
# Container entrypoint for web, worker and beat: optionally migrate, then run the command.
# MIGRATE_ON_START=1 (the web service) applies migrations first, under a PostgreSQL
# advisory lock so that several web replicas starting together migrate once.
set -eu
cd "$(dirname "$0")/.."

if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
  python docker/migrate_locked.py
fi

exec "$@"
