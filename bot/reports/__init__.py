"""The coordinator's report: built once from the database (`build_report`), rendered as Rich
tables (`render_table`), CSV (`render_csv`) or one self-contained HTML page (`render_html`)."""

from __future__ import annotations

from bot.reports.build import MIN_GROUP_FLOOR, build_report, paused_gc
from bot.reports.model import Report, ReportScope, Totals, UnitReport
from bot.reports.render_csv import HEADER as CSV_HEADER
from bot.reports.render_csv import render_csv, render_csv_bytes
from bot.reports.render_html import render_html
from bot.reports.render_table import render_table

__all__ = [
    "CSV_HEADER",
    "MIN_GROUP_FLOOR",
    "Report",
    "ReportScope",
    "Totals",
    "UnitReport",
    "build_report",
    "paused_gc",
    "render_csv",
    "render_csv_bytes",
    "render_html",
    "render_table",
]
