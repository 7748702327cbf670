"""A real Neo4j Community server for tests, run from the Maven Central jars.

The jars come from ``tools/neo4j/fetch.sh`` (``org.neo4j:neo4j`` 5.26.x, runtime
scope) and run on the default JDK 17 as ``java <flags> -cp 'lib/*'
org.neo4j.server.CommunityEntryPoint --home-dir=H --config-dir=H/conf``. No Docker,
no tarball, no custom Java. See ``docs/neo4j-server.md`` for measured figures.

Typical use::

    with Neo4jServer() as server:
        with GraphDatabase.driver(server.uri, auth=None) as driver:
            driver.execute_query("RETURN 1", database_="neo4j")

Offline bulk import (``neo4j-admin database import full``) into a stopped home::

    server = Neo4jServer(home=some_dir)
    server.write_config()
    cmd = import_tool_command(server.home, ["neo4j", "--nodes=/abs/nodes.csv"])
    subprocess.run(cmd, check=True)
    with server:  # the default database "neo4j" now holds the imported store
        ...
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

__all__ = [
    "ENTRY_POINT",
    "IMPORT_MAIN_CLASS",
    "JVM_FLAGS",
    "LIB_ENV",
    "Neo4jServer",
    "Neo4jServerError",
    "availability",
    "free_port",
    "import_tool_command",
    "java_executable",
    "lib_dir",
    "render_config",
]

LIB_ENV: Final = "OWNERGRAPH_NEO4J_LIB"
"""Environment variable that overrides :func:`lib_dir`."""

ENTRY_POINT: Final = "org.neo4j.server.CommunityEntryPoint"
"""Server main class, in ``neo4j-<version>.jar``."""

IMPORT_MAIN_CLASS: Final = "org.neo4j.cli.AdminTool"
"""In-process ``neo4j-admin`` (in ``neo4j-command-line-<version>.jar``).

``org.neo4j.server.startup.Neo4jAdminCommand`` also works, but it only forks a second
JVM that runs ``AdminTool``. ``AdminTool`` reads ``NEO4J_HOME`` and ``NEO4J_CONF`` from
the environment only (no system properties, no flags).
"""

JVM_FLAGS: Final[tuple[str, ...]] = (
    # The server.jvm.additional defaults of the 5.x tarball's neo4j.conf.
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)
"""JVM flags for the server and the import tool (heap flags are added separately)."""

_POLL_SECONDS: Final = 0.5
_STOP_SECONDS: Final = 30.0
_LOG_TAIL_CHARS: Final = 4000
_PORT_RETRIES: Final = 3
_DATABASE: Final = "neo4j"
# Internal 5.26 settings (BoltConnectorInternalSettings): each defaults to 5 s, which
# made every shutdown idle for 10 s. They pass strict validation on 5.26.30.
_FAST_SHUTDOWN: Final[dict[str, str]] = {
    "internal.server.bolt.thread_pool_shutdown_wait_time": "0s",
    "internal.server.bolt.connection_shutdown_wait_time": "0s",
}


class Neo4jServerError(RuntimeError):
    """The server could not be started or stopped; the message carries the log tails."""


def _repo_root() -> Path:
    # ownergraph/_testing/neo4j.py -> the repository root
    return Path(__file__).resolve().parents[2]


def lib_dir() -> Path:
    """Neo4j jars directory: ``$OWNERGRAPH_NEO4J_LIB`` or ``<repo>/tools/neo4j/lib``."""
    override = os.environ.get(LIB_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return _repo_root() / "tools" / "neo4j" / "lib"


def java_executable() -> str | None:
    """``$JAVA_HOME/bin/java`` if it exists, else ``java`` on PATH, else None."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def _server_jar(lib: Path) -> Path | None:
    jars = sorted(lib.glob("neo4j-[0-9]*.jar"))
    return jars[-1] if jars else None


def _no_jar_reason(lib: Path) -> str:
    return f"Neo4j jars missing: no neo4j-<version>.jar in {lib} (run tools/neo4j/fetch.sh)"


def availability() -> str | None:
    """None if java and the Neo4j jars are present, else a one-line reason."""
    if java_executable() is None:
        return "java not found (set JAVA_HOME or put JDK 17 on PATH)"
    lib = lib_dir()
    if not lib.is_dir():
        return f"Neo4j jars missing: {lib} does not exist (run tools/neo4j/fetch.sh)"
    if _server_jar(lib) is None:
        return _no_jar_reason(lib)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def render_config(
    home: Path,
    port: int,
    *,
    pagecache: str = "128m",
    extra_settings: Mapping[str, str] | None = None,
) -> str:
    """The text of ``neo4j.conf`` for a throwaway loopback server rooted at ``home``.

    Strict validation is on (the default): a misspelt key or a bad value in
    ``extra_settings`` makes the server exit with code 1 (measured on 5.26.30).
    """
    home = home.resolve()
    settings: dict[str, str] = {
        "server.default_listen_address": "127.0.0.1",
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "false",
        "server.directories.data": str(home / "data"),
        "server.directories.logs": str(home / "logs"),
        "server.directories.run": str(home / "run"),
        "server.directories.import": str(home / "import"),
        "server.directories.plugins": str(home / "plugins"),
        "server.directories.transaction.logs.root": str(home / "data" / "transactions"),
        "server.memory.pagecache.size": pagecache,
        "db.tx_log.preallocate": "false",
        "dbms.usage_report.enabled": "false",
        **_FAST_SHUTDOWN,
    }
    if extra_settings:
        settings.update(extra_settings)
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _tail(path: Path, chars: int = _LOG_TAIL_CHARS) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - chars))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _classpath(lib: Path, extra: Path | None = None) -> str:
    entries = [f"{lib}/*"]
    if extra is not None:
        entries.append(f"{extra}/*")
    return os.pathsep.join(entries)


def import_tool_command(
    home: Path,
    args: list[str],
    *,
    lib: Path | None = None,
    java: str | None = None,
    heap: str = "1g",
) -> list[str]:
    """Command line for ``neo4j-admin database import full <args>`` from the Maven jars.

    ``args`` follow ``database import full``, e.g. ``["neo4j", "--nodes=/abs/n.csv",
    "--relationships=/abs/r.csv", "--overwrite-destination=true"]``. ``home`` must hold
    ``conf/neo4j.conf`` (see :meth:`Neo4jServer.write_config`); the store goes to that
    config's ``server.directories.data``. Run it only while the server on ``home`` is
    stopped. The command starts with ``env NEO4J_HOME=... NEO4J_CONF=...`` because
    ``AdminTool`` reads those from the environment only.
    """
    home = home.resolve()
    java = java or java_executable()
    if java is None:
        raise Neo4jServerError("java not found (set JAVA_HOME or put JDK 17 on PATH)")
    lib = lib or lib_dir()
    return [
        "env",
        f"NEO4J_HOME={home}",
        f"NEO4J_CONF={home / 'conf'}",
        java,
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        _classpath(lib),
        IMPORT_MAIN_CLASS,
        "database",
        "import",
        "full",
        *args,
    ]


class Neo4jServer:
    """A Neo4j Community server on a free loopback Bolt port, as a context manager.

    ``home`` defaults to a fresh temp directory that :meth:`stop` removes; a
    caller-given ``home`` is kept unless ``remove_home=True``. A kept home can be started
    again after :meth:`stop` (each start picks a new free port).
    """

    def __init__(
        self,
        *,
        home: Path | None = None,
        lib: Path | None = None,
        java: str | None = None,
        heap: str = "512m",
        pagecache: str = "128m",
        startup_timeout: float = 120.0,
        extra_settings: Mapping[str, str] | None = None,
        remove_home: bool | None = None,
    ) -> None:
        self._owns_home = home is None
        self.home: Path = (
            Path(tempfile.mkdtemp(prefix="ownergraph-neo4j-")) if home is None else home
        ).resolve()
        self.lib: Path = lib or lib_dir()
        self.java: str | None = java or java_executable()
        self.heap = heap
        self.pagecache = pagecache
        self.startup_timeout = startup_timeout
        self.extra_settings: dict[str, str] = dict(extra_settings or {})
        self.remove_home: bool = self._owns_home if remove_home is None else remove_home
        self.port: int | None = None
        self.startup_seconds: float | None = None
        """Seconds from process launch until ``RETURN 1`` succeeded (last start)."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None

    # -- paths -------------------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def import_dir(self) -> Path:
        """``server.directories.import``: CSVs for ``LOAD CSV`` and the import tool."""
        return self.home / "import"

    @property
    def console_log(self) -> Path:
        return self.home / "console.log"

    @property
    def uri(self) -> str:
        """``bolt://127.0.0.1:<port>`` of the running server."""
        if self.port is None or self._proc is None:
            raise Neo4jServerError("Neo4j server is not running")
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def rss_bytes(self) -> int | None:
        """Resident set size of the server JVM (Linux ``/proc``), or None."""
        if self._proc is None:
            return None
        try:
            status = Path(f"/proc/{self._proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    # -- lifecycle ---------------------------------------------------------------------
    def write_config(self, port: int | None = None) -> Path:
        """Create the home's directories and ``conf/neo4j.conf``; return the conf path.

        Idempotent; the server need not run (use it before :func:`import_tool_command`).
        """
        self.port = port if port is not None else (self.port or free_port())
        for sub in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        conf = self.conf_dir / "neo4j.conf"
        conf.write_text(
            render_config(
                self.home,
                self.port,
                pagecache=self.pagecache,
                extra_settings=self.extra_settings,
            )
        )
        return conf

    def command(self) -> list[str]:
        """The java command line that :meth:`start` runs."""
        if self.java is None:
            raise Neo4jServerError("java not found (set JAVA_HOME or put JDK 17 on PATH)")
        return [
            self.java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            "-cp",
            _classpath(self.lib, self.home / "plugins"),
            ENTRY_POINT,
            f"--home-dir={self.home}",
            f"--config-dir={self.conf_dir}",
        ]

    def start(self) -> str:
        """Start the server, wait until ``RETURN 1`` works on ``neo4j``; return the URI."""
        if self._proc is not None:
            raise Neo4jServerError("Neo4j server already running")
        if self.java is None:
            raise Neo4jServerError("java not found (set JAVA_HOME or put JDK 17 on PATH)")
        if _server_jar(self.lib) is None:
            raise Neo4jServerError(_no_jar_reason(self.lib))
        try:
            for attempt in range(_PORT_RETRIES):
                try:
                    self._launch(free_port())
                    return self.uri
                except _PortInUseError:
                    if attempt == _PORT_RETRIES - 1:
                        raise
        except BaseException:
            self._cleanup_after_failure()
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, port: int) -> None:
        self.write_config(port)
        for log in ("neo4j.log", "debug.log"):
            (self.home / "logs" / log).unlink(missing_ok=True)
        self._console = self.console_log.open("wb")
        started = time.monotonic()
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            cwd=self.home,
            start_new_session=True,
        )
        deadline = started + self.startup_timeout
        uri = f"bolt://127.0.0.1:{port}"
        last_error: Exception | None = None
        while True:
            code = self._proc.poll()
            if code is not None:
                message = self._failure_message(f"Neo4j exited with code {code} during startup")
                self._proc = None
                self._close_console()
                if "Address already in use" in message:
                    raise _PortInUseError(message)
                raise Neo4jServerError(message)
            try:
                # Fail fast: by default the driver retries for 30 s and waits up to 60 s
                # for a connection (e.g. to a foreign listener on a stolen port), so the
                # loop would miss a dead process and overrun its own deadline.
                with GraphDatabase.driver(
                    uri,
                    auth=None,
                    connection_timeout=2.0,
                    connection_acquisition_timeout=5.0,
                    max_transaction_retry_time=0.0,
                ) as driver:
                    driver.execute_query("RETURN 1", database_=_DATABASE)
                self.startup_seconds = time.monotonic() - started
                return
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = exc
            if time.monotonic() > deadline:
                raise Neo4jServerError(
                    self._failure_message(
                        f"Neo4j not ready after {self.startup_timeout:.0f}s (last error: {last_error!r})"
                    )
                )
            time.sleep(_POLL_SECONDS)

    def _failure_message(self, headline: str) -> str:
        parts = [
            f"{headline}; home={self.home}",
            f"command: {' '.join(self.command())}",
        ]
        for path in (
            self.console_log,
            self.home / "logs" / "neo4j.log",
            self.home / "logs" / "debug.log",
        ):
            text = _tail(path).strip()
            if text:
                parts.append(f"--- tail of {path.name} ---\n{text}")
        return "\n".join(parts)

    def _close_console(self) -> None:
        if self._console is not None:
            self._console.close()
            self._console = None

    def _kill(self, sig: signal.Signals) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)

    def _cleanup_after_failure(self) -> None:
        if self._proc is not None:
            self._kill(signal.SIGKILL)
            self._proc.wait()
            self._proc = None
        self._close_console()
        self.port = None
        if self.remove_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def stop(self) -> None:
        """SIGTERM, wait 30 s, then SIGKILL; remove the home if ours. Idempotent."""
        proc = self._proc
        if proc is not None:
            self._kill(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._kill(signal.SIGKILL)
                proc.wait()
            self._proc = None
        self._close_console()
        self.port = None
        if self.remove_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _PortInUseError(Neo4jServerError):
    """Another process took the port between :func:`free_port` and the JVM's bind."""
