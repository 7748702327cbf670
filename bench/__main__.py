"""``python -m bench [--sizes 10k,100k,1m] [--large] [--repeat N] [--out bench/results/latest.json]``:
the benchmark suite of SPEC §10 (see :mod:`bench.suite` and ``bench/README.md``)."""

from __future__ import annotations

import sys

from bench.suite import main

sys.exit(main())
