"""QGIS 3.22 (Debian, headless PyQGIS) adds the OGC API collections as layers from a live
server with HTTP Basic (the authentication QGIS 3.22 can send): feature counts and field
types as served, only the user's kabupaten."""

from __future__ import annotations

import pytest

from tests.api.support import KAB_A, PASSWORD
from tests.fixtures.pyqgis import run_pyqgis

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCRIPT = """
from qgis.core import QgsVectorLayer
from qgis.PyQt.QtCore import QVariant
base, user, password, kab = sys.argv[1:5]
out = {}
for kind in ("desa", "h3", "kantong", "prioritas"):
    uri = (f"url='{base}/ogc' typename='{kind}_{kab}' username='{user}' "
           f"password='{password}' pageSize='100'")
    layer = QgsVectorLayer(uri, kind, "OAPIF")
    fields = {f.name(): QVariant.typeToName(f.type()) for f in layer.fields()}
    out[kind] = {"valid": layer.isValid(), "count": layer.featureCount(), "fields": fields,
                 "n": sum(1 for _ in layer.getFeatures()), "geom": layer.wkbType()}
other = QgsVectorLayer(f"url='{base}/ogc' typename='desa_33.20' username='{user}' "
                       f"password='{password}'", "x", "OAPIF")
out["other_valid"] = other.isValid()
done(out)
"""


def test_qgis_loads_ogc_layers_with_basic_auth(live, api_db, tmp_path):
    res = run_pyqgis(SCRIPT, tmp_path, live.base, "analis_a", PASSWORD, KAB_A)
    desa = res["desa"]
    assert desa["valid"] and desa["count"] == desa["n"] == api_db.n_desa[KAB_A]
    assert desa["fields"]["kode_desa"] == "QString"
    assert desa["fields"]["n_jiwa_ekstrem"] in ("int", "qlonglong")
    assert desa["fields"]["pct_jiwa_ekstrem"] == "double"
    assert res["h3"]["valid"] and res["h3"]["n"] > desa["n"]
    assert res["prioritas"]["valid"] and res["prioritas"]["n"] == desa["n"]
    assert res["kantong"]["valid"] and res["kantong"]["n"] >= 1
    assert res["other_valid"] is False
