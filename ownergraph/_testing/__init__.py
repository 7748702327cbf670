"""Test-support helpers (real services for integration tests); not public API."""
