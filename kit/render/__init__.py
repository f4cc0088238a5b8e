"""Renderers: turn reports and verdicts into terminal text, JSON and documents."""
