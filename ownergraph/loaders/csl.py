"""Loader module (in progress)."""
