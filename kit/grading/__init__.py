"""Grading: read a learner's diagnosis, verify their fix, and explain every point."""
