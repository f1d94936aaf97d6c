"""The TKPK meeting pack: a PDF (maps, ranked priorities, OPD targets, coverage gaps, method)
and an XLSX workbook with the same tables and a sheet explaining the method.

Inputs are frames already prepared for the reader (suppressed for non-privileged roles by the
caller); this module only lays them out.
"""

from geo_service.io.report.content import (
    ATTRIBUTION,
    COVERAGE_COLUMNS,
    HEADERS,
    METHOD,
    PDF_MAX_ROWS,
    POCKET_COLUMNS,
    PRIORITY_COLUMNS,
    TARGET_COLUMNS,
    TEXT,
    ReportData,
    coverage_table,
    header,
    opd_summary,
    priority_table,
    target_paragraphs,
    target_table,
)
from geo_service.io.report.pdf import (
    write_report_pdf,
)
from geo_service.io.report.xlsx import (
    write_report_xlsx,
)

__all__ = [
    "ATTRIBUTION",
    "TEXT",
    "METHOD",
    "HEADERS",
    "PRIORITY_COLUMNS",
    "COVERAGE_COLUMNS",
    "POCKET_COLUMNS",
    "TARGET_COLUMNS",
    "PDF_MAX_ROWS",
    "ReportData",
    "header",
    "priority_table",
    "opd_summary",
    "coverage_table",
    "target_table",
    "target_paragraphs",
    "write_report_pdf",
    "write_report_xlsx",
]
