"""Probe: render time, HTML size and browser load time of pictures of 100, 2,000 and 5,000 nodes.

``python -m bench.viz_probe [--sizes 100 2000 5000] [--browser]`` generates a seeded synthetic
bundle per size (:mod:`bench.generate`), loads it into a temporary workspace, renders the whole
view with :func:`ownergraph.viz.render` (``max_nodes=None``) and prints one line per size: Python
render seconds, HTML megabytes, layout, and with ``--browser`` the seconds headless Chromium
(``/usr/bin/chromium`` through Playwright, every http(s) request aborted) takes to draw it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ownergraph
from bench.generate import generate
from ownergraph.viz import render

__all__ = ["main", "probe"]

_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_seconds(path: Path) -> tuple[float, int, int, int]:
    from playwright.sync_api import Route, sync_playwright

    external: list[str] = []

    def block(route: Route) -> None:
        if route.request.url.startswith(("http://", "https://")):
            external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", block)
        t = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => document.body.dataset.ogDrawn === '1'", timeout=120_000)
        secs = time.perf_counter() - t
        n, m = page.evaluate("() => [nodes.length, edges.length]")
        browser.close()
    return secs, int(n), int(m), len(external)


def probe(size: int, out: Path, *, browser: bool = False) -> dict[str, object]:
    """Generate, load and render one synthetic graph of ``size`` entities; return measurements."""
    bundle = out / f"bundle-{size}"
    generate(bundle, entities=size, seed=7)
    ws = ownergraph.open(out / f"ws-{size}")
    try:
        ws.load([bundle])
        view = ws.graph(as_of="2024-01-01")
        t = time.perf_counter()
        path = render(view, out / f"graph-{size}.html", max_nodes=None, title=f"synthetic {size}")
        secs = time.perf_counter() - t
        assert isinstance(path, Path)
        html = path.read_text(encoding="utf-8")
        row: dict[str, object] = {
            "entities": view.n,
            "edges": view.m,
            "render_s": round(secs, 2),
            "html_mb": round(len(html.encode()) / 1e6, 2),
            "layout": "hierarchical" if "layout: hierarchical" in html else "layered",
        }
        if browser:
            b_secs, n, m, ext = _browser_seconds(path)
            row.update(browser_s=round(b_secs, 2), drawn_nodes=n, drawn_edges=m, external=ext)
        return row
    finally:
        ws.close()


def main() -> None:
    """Command line: print one line of measurements per size."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 2000, 5000])
    ap.add_argument("--browser", action="store_true", help="also time headless Chromium")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            print(probe(size, Path(tmp), browser=args.browser), flush=True)


if __name__ == "__main__":
    main()
