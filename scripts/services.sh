#!/usr/bin/env bash
# Make sure the database the storage tests use is up: PostgreSQL 15 on 127.0.0.1:5432 with
# PostGIS (the PostGIS tests fail, never skip, without it). Starts a local cluster that is
# down; says exactly what is missing otherwise.
set -euo pipefail
HOST=127.0.0.1
PORT=5432

if pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; then exit 0; fi
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
  echo "== Menyalakan PostgreSQL 15 (cluster main)"
  pg_ctlcluster --skip-systemctl-redirect 15 main start
  pg_isready -q -h "$HOST" -p "$PORT" -t 60 && exit 0
fi
cat >&2 <<MSG
PostgreSQL tidak menjawab di $HOST:$PORT; uji PostGIS memerlukannya.
Pasang dan nyalakan (Debian 12):
  sudo apt-get install -y postgresql-15 postgresql-15-postgis-3
  sudo pg_ctlcluster --skip-systemctl-redirect 15 main start
dengan autentikasi 'trust' untuk pengguna postgres dari 127.0.0.1 (pg_hba.conf).
MSG
exit 1
