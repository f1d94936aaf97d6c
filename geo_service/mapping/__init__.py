"""Maps only: folium pages (offline, bundled Leaflet) and static maps."""

from geo_service.mapping.folium_map import choropleth_map, class_breaks, offline_map

__all__ = ["choropleth_map", "class_breaks", "offline_map"]
