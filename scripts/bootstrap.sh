#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need on a fresh Debian machine:
# OS packages (when run as root, else say exactly what is missing), a virtual
# environment in .venv and the Python packages of pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
# Debian packages: SpatiaLite for the embedded store; PostGIS for the PostgreSQL 15 the
# tests run against (only when a PostgreSQL 15 server is installed here). GDAL and QGIS
# (headless PyQGIS, QT_QPA_PLATFORM=offscreen) are the GIS clients the OGC API and the field
# GeoPackage are tested with (tests/api/ogc, tests/io).
OS_PACKAGES=(libsqlite3-mod-spatialite chromium wrk gdal-bin qgis python3-qgis poppler-utils libreoffice-calc)
if [ -d /usr/lib/postgresql/15 ]; then OS_PACKAGES+=(postgresql-15-postgis-3); fi

missing=()
for p in "${OS_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== Memasang paket OS: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Paket OS belum terpasang: ${missing[*]}" >&2
    echo "Pasang dengan: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Perlu Python 3.11 atau lebih baru; $PY adalah $("$PY" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "== Membuat virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
echo "== Memasang paket Python (pip install -e .[dev])"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "== Siap."
