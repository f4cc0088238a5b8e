"""Scenarios: the manifest format, the catalog of bundled scenarios, learner workspaces."""
