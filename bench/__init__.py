"""The benchmark suite and the seeded synthetic graph generator (SPEC §10)."""
