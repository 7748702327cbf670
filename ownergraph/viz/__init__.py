"""Offline interactive pictures of neighbourhoods and findings (SPEC §8).

``ownergraph.viz.render(rows_or_view, path=None, view=...)`` writes one self-contained HTML file
(or, without a path, returns an ``IPython.display.HTML`` for Jupyter); see
:mod:`ownergraph.viz.render`.
"""

from __future__ import annotations

from ownergraph.viz.render import (
    EDGE_STYLES,
    HIERARCHICAL_MAX,
    HIGHLIGHT_COLOR,
    HIGHLIGHT_WIDTH,
    KIND_SHAPES,
    REGIME_COLORS,
    STATUS_COLORS,
    Neighbourhood,
    neighbourhood,
    render,
    render_html,
)

__all__ = [
    "EDGE_STYLES",
    "HIERARCHICAL_MAX",
    "HIGHLIGHT_COLOR",
    "HIGHLIGHT_WIDTH",
    "KIND_SHAPES",
    "REGIME_COLORS",
    "STATUS_COLORS",
    "Neighbourhood",
    "neighbourhood",
    "render",
    "render_html",
]
