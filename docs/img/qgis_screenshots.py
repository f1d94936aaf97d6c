"""Render the screenshots of docs/qgis.md headless with QGIS 3.22 (Debian python3-qgis).

Run with the system Python (not the project's venv), against a running service:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 docs/img/qgis_screenshots.py \
        http://127.0.0.1:8000 <user> <password> 33.24

Writes docs/img/qgis_koneksi.png (the OGC API connection dialog with Basic credentials)
and docs/img/qgis_peta_desa.png (the desa collection drawn by QGIS from /ogc).
"""

import os
import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsGraduatedSymbolRenderer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsStyle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

OUT = Path(__file__).resolve().parent
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], True)
app.initQgis()
from qgis.gui import QgsNewHttpConnection  # noqa: E402  (needs the application)
from qgis.PyQt.QtWidgets import QComboBox, QLineEdit, QTabWidget  # noqa: E402

base, user, password, kab = sys.argv[1:5]

dialog = QgsNewHttpConnection(
    None,
    QgsNewHttpConnection.ConnectionWfs,
    "qgis/connections-wfs/",
    "",
    QgsNewHttpConnection.FlagShowHttpSettings,
)
dialog.findChild(QLineEdit, "txtName").setText("geo_service")
dialog.findChild(QLineEdit, "txtUrl").setText("https://peta.example.go.id/ogc")
dialog.findChild(QTabWidget, "tabAuth").setCurrentIndex(1)
dialog.findChild(QLineEdit, "txtUserName").setText(user)
dialog.findChild(QLineEdit, "txtPassword").setText("********")
combo = dialog.findChild(QComboBox, "cmbVersion")
combo.setCurrentIndex(combo.findText("OGC API - Features"))
dialog.findChild(QLineEdit, "txtPageSize").setText("1000")
dialog.resize(640, 720)
dialog.show()
app.processEvents()
dialog.grab().save(str(OUT / "qgis_koneksi.png"))

uri = f"url='{base}/ogc' typename='desa_{kab}' username='{user}' password='{password}'"
layer = QgsVectorLayer(uri, "desa", "OAPIF")
assert layer.isValid(), "OGC API layer did not load"
renderer = QgsGraduatedSymbolRenderer("pct_jiwa_ekstrem")
renderer.updateColorRamp(QgsStyle().defaultStyle().colorRamp("Reds"))
renderer.updateClasses(layer, QgsGraduatedSymbolRenderer.Jenks, 5)
layer.setRenderer(renderer)
settings = QgsMapSettings()
settings.setLayers([layer])
settings.setBackgroundColor(QColor(255, 255, 255))
settings.setOutputSize(QSize(900, 700))
settings.setExtent(layer.extent())
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
job.renderedImage().save(str(OUT / "qgis_peta_desa.png"))
print("ok", layer.featureCount())
os._exit(0)
