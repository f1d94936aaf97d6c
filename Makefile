# The two set-up commands of the README: `make demo` and `make test`.
# Both install what they need first (scripts/bootstrap.sh).

VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := maps/kendal
KAB    ?= 33.24
N      ?= 300000
PERIODE?= 2025-03
SEED   ?= 7

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	@touch $(STAMP)

DEMO_DB := $(DEMO)/geo_service.sqlite
HOST   ?= 127.0.0.1
PORT   ?= 8000
GS     := $(BIN)/geo-service

# The whole job on the embedded default (SpatiaLite): synthetic Kendal families, file-based
# analysis into maps/, the same through the database, a meeting pack, then the service.
demo: setup
	$(GS) generate --kabupaten $(KAB) --keluarga $(N) --periode $(PERIODE) \
	  --seed $(SEED) --kantong 6 --out $(DEMO)/keluarga_$(PERIODE).parquet
	$(GS) analyse --kabupaten $(KAB) --keluarga $(DEMO)/keluarga_$(PERIODE).parquet \
	  --out $(DEMO)/hasil
	rm -f $(DEMO_DB)
	export GEO_DATABASE_URL=sqlite:///$(abspath $(DEMO_DB)); \
	$(GS) db upgrade && \
	$(GS) import batas data/boundaries/desa_$(KAB)_*.geojson && \
	$(GS) import keluarga $(DEMO)/keluarga_$(PERIODE).parquet --periode $(PERIODE) && \
	$(GS) analyse --db --kabupaten $(KAB) --periode $(PERIODE) --out $(DEMO)/hasil-db && \
	$(GS) report --kabupaten $(KAB) --periode $(PERIODE) --out $(DEMO)/laporan && \
	$(GS) user add demo --peran analis --kabupaten $(KAB) --password demo-kendal && \
	echo "" && \
	echo "Peta (berkas):   $(DEMO)/hasil/map.html" && \
	echo "Paket rapat:     $(DEMO)/laporan/" && \
	echo "CLI ke basis data demo: export GEO_DATABASE_URL=sqlite:///$(abspath $(DEMO_DB))" && \
	echo "Layanan:         http://$(HOST):$(PORT)/docs  (Authorize: demo / demo-kendal)" && \
	echo "Peta (layanan):  GET http://$(HOST):$(PORT)/kabupaten/$(KAB)/peta dengan token" && \
	echo "Hentikan dengan Ctrl-C." && \
	$(GS) serve --host $(HOST) --port $(PORT)

# Lint first (fast, no database): style, formatting, layer contract, types.
test: lint
	bash scripts/services.sh
	$(BIN)/python -m pytest

# Benchmarks need the peers (DuckDB spatial, SedonaDB, dask-geopandas): pip extra `bench`.
bench: setup
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(GS) bench --n 100000 --n 1000000 --out benchmarks/results/join.json
	$(BIN)/python -m benchmarks.bench_planning

lint: setup
	$(BIN)/ruff check geo_service tests benchmarks
	$(BIN)/ruff format --check geo_service tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) maps/kendal .pytest_cache
