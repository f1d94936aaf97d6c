"""Benchmark harness used by ``geo-service bench`` (no typer, no printing): the join
comparison against peers (:mod:`.join`) and the timed runs (:mod:`.runs`). The scripts in
``benchmarks/`` import this package; the package never imports ``benchmarks/``."""
