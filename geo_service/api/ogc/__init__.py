"""OGC API – Features and vector tiles for GIS clients (QGIS, ArcGIS, GDAL ``OAPIF:``).

Learnt from pygeoapi and tipg: one collection per layer, paging links, queryables from the
released columns, one OpenAPI document with a path per collection.
"""

from geo_service.api.ogc.routes import router

__all__ = ["router"]
