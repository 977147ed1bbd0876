"""Audit reports: ``report.json`` (machine-readable) and ``report.md`` with plots."""
