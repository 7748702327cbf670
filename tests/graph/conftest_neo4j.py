"""Neo4j fixtures for the graph tests, imported by the test modules that need them.

``neo4j_uri`` (session scope) is ``$NEO4J_URI`` when set, otherwise a real Neo4j Community
server started once per session from the Maven jars (``ownergraph._testing.neo4j``). Without
java or the jars the tests skip with a one-line reason, except under CI (``CI`` true), where they
fail instead: CI must run them. ``require_local_neo4j()`` applies the same rule to tests that
need the jars themselves (the offline import tool), whatever ``NEO4J_URI`` says.

The tests write ownergraph's labels (``Entity``, ``Venue``, ``Regime``) into the ``neo4j``
database and clear them (``push(replace=True)``); other data in a ``$NEO4J_URI`` server is left
alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TypedDict

import pytest

from ownergraph._testing.neo4j import Neo4jServer, availability

__all__ = ["Neo4jAuth", "in_ci", "neo4j_auth", "neo4j_uri", "require_local_neo4j"]


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set to a true value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def require_local_neo4j() -> None:
    """Skip (locally) or fail (in CI) unless java and the Neo4j jars are present."""
    reason = availability()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"CI needs a Neo4j server: {reason}", pytrace=False)
    pytest.skip(reason)


class Neo4jAuth(TypedDict):
    user: str | None
    password: str | None


def neo4j_auth() -> Neo4jAuth:
    """``user``/``password`` for :func:`neo4j_uri`: from the environment with ``$NEO4J_URI``,
    none for the server started here (auth disabled)."""
    if os.environ.get("NEO4J_URI"):
        return {"user": os.environ.get("NEO4J_USER"), "password": os.environ.get("NEO4J_PASSWORD")}
    return {"user": None, "password": None}


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    """Bolt URI of a Neo4j server for the whole session (``$NEO4J_URI`` or one started here)."""
    given = os.environ.get("NEO4J_URI")
    if given:
        yield given
        return
    require_local_neo4j()
    with Neo4jServer() as server:
        yield server.uri
