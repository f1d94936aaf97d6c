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

demo: setup
	$(BIN)/geo-service generate --kabupaten $(KAB) --keluarga $(N) --periode $(PERIODE) \
	  --seed $(SEED) --kantong 6 --out $(DEMO)/keluarga_$(PERIODE).parquet
	$(BIN)/geo-service analyse --kabupaten $(KAB) --keluarga $(DEMO)/keluarga_$(PERIODE).parquet \
	  --out $(DEMO)/hasil
	@echo "Buka peta: $(DEMO)/hasil/map.html"

test: setup
	bash scripts/services.sh
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check geo_service tests

clean:
	rm -rf $(VENV) maps/kendal .pytest_cache
