"""geo_service: kantong kemiskinan ekstrem dari data keluarga DTSEN, batas desa dan sel H3."""

__version__ = "0.1.0"
