"""Fixtures for the picture tests: the SenseTime view, hostile names, the embedded DataSets, and a
headless Chromium (Playwright driving Debian's ``/usr/bin/chromium``) that blocks the network.

Browser tests are marked ``browser``. Without ``/usr/bin/chromium`` or the ``playwright`` package
they are skipped with a one-line reason — except when the environment variable ``CI`` is true,
where a missing browser is a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ownergraph.graph.view import GraphView
from ownergraph.graph.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
AS_OF = "2022-01-07"

IMG = "<img src=x onerror=alert(1)>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_HREF = '<a href="#" onmouseover="window.__xss=3">href trap</a>'

_DATASET = re.compile(r"\b(nodes|edges) = new vis\.DataSet\(")


def dataset(html: str, name: str) -> list[dict[str, Any]]:
    """The JSON array the page hands to ``new vis.DataSet(...)`` for ``nodes`` or ``edges``."""
    for m in _DATASET.finditer(html):
        if m.group(1) == name:
            value, _ = json.JSONDecoder().raw_decode(html, m.end())
            assert isinstance(value, list)
            return value
    raise AssertionError(f"no {name} DataSet in the page")


def ci() -> bool:
    """Whether we run in CI (``CI`` set to a true value), where browser tests must not skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture
def st_view(sensetime_ws: Workspace) -> GraphView:
    """The SenseTime case as of the Guardian article (7 Jan 2022)."""
    return sensetime_ws.graph(as_of=AS_OF)


@pytest.fixture
def evil_view(bundle: Callable[..., Path], ws: Workspace) -> GraphView:
    """Hostile names: a designated ``<img onerror>`` company under a listed parent, and friends."""
    folder = bundle(
        "evil",
        entities=[
            {"id": "parent", "name": "Parent & Co <b>", "kind": "company", "jurisdiction": "KY"},
            {"id": "evil", "name": XSS_IMG, "kind": "company", "jurisdiction": "HK"},
            {"id": "alert", "name": IMG, "kind": "person"},
            {"id": "script", "name": XSS_SCRIPT, "kind": "fund"},
            {"id": "href", "name": XSS_HREF, "kind": "company"},
        ],
        ownership=[
            {"owner_id": "parent", "owned_id": "evil", "share": "60", "kind": "shares", "source": XSS_IMG},
            {"owner_id": "alert", "owned_id": "parent", "share": "(25,50]", "kind": "votes"},
            {"owner_id": "script", "owned_id": "parent", "share": "unknown", "kind": "board"},
            {"owner_id": "evil", "owned_id": "href", "share": "100", "kind": "shares"},
        ],
        designations=[
            {
                "entity_id": "evil",
                "regime": "ofac-sdn",
                "list": XSS_SCRIPT,
                "program": "SDGT",
                "listed": "2020-01-01",
                "source": XSS_IMG,
            }
        ],
        listings=[{"entity_id": "parent", "mic": "XHKG", "ticker": "<i>9</i>", "listed": "2019-01-01"}],
    )
    (report,) = ws.load([folder])
    assert report.rejected == 0, report.first_reject
    return ws.graph(as_of=AS_OF)


# -- the browser ---------------------------------------------------------------------------------
@dataclass
class Opened:
    """A page opened from a file with every http(s) request aborted and recorded."""

    page: Any
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """DataSet sizes, bodies drawn, physics and how much of the canvas has ink."""
        result: dict[str, Any] = self.page.evaluate(
            """() => { const c = document.querySelector('#mynetwork canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let ink = 0; for (let i = 0; i < d.length; i += 64) if (d[i + 3] && d[i] < 250) ink++;
            return {nodes: nodes.length, edges: edges.length,
                    drawn: Object.keys(network.body.nodes).length,
                    physics: network.physics.options.enabled, w: c.width, h: c.height, ink}; }"""
        )
        return result


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (skipped locally, failing in CI, when missing)."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install playwright==1.65.2)"
    if missing is None and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if missing is not None:
        if ci():
            pytest.fail(f"browser tests need headless Chromium in CI: {missing}")
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[Path], Opened]]:
    """``open_page(path)`` loads a file in a fresh page and waits until the graph is drawn."""
    contexts: list[Any] = []

    def open_(path: Path) -> Opened:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)

        def route(r: Any) -> None:
            if r.request.url.startswith(("http://", "https://")):
                opened.external.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        page.route("**/*", route)
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_function(
            "() => window.network && window.nodes && document.querySelector('#mynetwork canvas')"
            " && document.body.dataset.ogDrawn === '1'",
            timeout=60_000,
        )
        return opened

    yield open_
    for c in contexts:
        c.close()
