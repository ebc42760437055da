from __future__ import annotations

import contextlib
import errno
import gc
import signal
import socket
import ssl
import threading
from pathlib import Path
from types import FrameType

import typer
import uvicorn

from takepoint.accounts.demo import DEMO_DOMAIN, DEMO_PASSWORD
from takepoint.accounts.service import ensure_first_admin
from takepoint.app import create_app
from takepoint.cli.common import console, context, database, fail, now, settings
from takepoint.demo import load_demo
from takepoint.engine.loop import Engine
from takepoint.lib import migrate as migrations
from takepoint.lib.context import bind
from takepoint.lib.errors import TakepointError
from takepoint.lib.logs import configure_logging
from takepoint.lib.settings import Settings, load_settings
from takepoint.wiring import build_registry

HostOption = typer.Option(None, "--host", help="address to listen on (default TAKEPOINT_HOST)")
PortOption = typer.Option(None, "--port", help="port to listen on (default TAKEPOINT_PORT)")
TlsCertOption = typer.Option(
    None,
    "--tls-cert",
    help="serve HTTPS with this PEM certificate chain (default TAKEPOINT_TLS_CERT)",
)
TlsKeyOption = typer.Option(
    None, "--tls-key", help="the certificate's PEM private key (default TAKEPOINT_TLS_KEY)"
)


def _settings(tls_cert: Path | None, tls_key: Path | None) -> Settings:
    """The settings, with TLS files given on the command line in place of TAKEPOINT_TLS_*."""
    given = {"tls_cert": tls_cert, "tls_key": tls_key}
    try:
        return load_settings(**{name: path for name, path in given.items() if path is not None})
    except TakepointError as exc:
        fail(exc.message)


class _EncryptedKey(Exception):
    pass


def _refuse_passphrase() -> bytes:
    # Without a callback OpenSSL would ask for the passphrase on the terminal.
    raise _EncryptedKey


def _tls(config: Settings) -> ssl.SSLContext | None:
    """The server's TLS context, checked before anything starts; a bad file is one line that
    names it."""
    cert, key = config.tls_cert, config.tls_key
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        given, missing = ("certificate", "key") if key is None else ("key", "certificate")
        fail(
            f"a TLS {given} needs its {missing} too: give --tls-cert and --tls-key "
            "(or TAKEPOINT_TLS_CERT and TAKEPOINT_TLS_KEY), or neither"
        )
    for what, path in (("certificate", cert), ("key", key)):
        try:
            path.read_bytes()
        except OSError as exc:
            fail(f"cannot read the TLS {what} {path}: {exc.strerror}")
    try:
        # A context of its own, so the certificate is only parsed here, not trusted.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=cert)
    except ssl.SSLError:
        fail(f"the TLS certificate {cert} holds no PEM certificate")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key, password=_refuse_passphrase)
    except _EncryptedKey:
        fail(f"the TLS key {key} is encrypted; give Takepoint the key without a passphrase")
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            fail(f"the TLS key {key} is not the key of the certificate {cert}")
        fail(f"the TLS key {key} holds no PEM private key")
    return context


def _prepare(config: Settings, *, demo: bool) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    bound = context(config)
    with database() as db:
        migrations.upgrade(db)
        with db.session() as session:
            bind(session, bound)
            created = ensure_first_admin(
                session,
                email=config.admin_email,
                password=config.admin_password.get_secret_value()
                if config.admin_password
                else None,
                now=now(),
            )
            if demo and load_demo(session, now=now()):
                console.print(
                    f"Demo organisation loaded: sign in as dana@{DEMO_DOMAIN} (responder) or "
                    f"morgan@{DEMO_DOMAIN} (viewer), password [bold]{DEMO_PASSWORD}[/]."
                )
    if created is not None:
        admin, password = created
        shown = password if password else "(the one in TAKEPOINT_ADMIN_PASSWORD)"
        console.print(
            f"[bold]First start.[/] Sign in as [bold]{admin.email}[/] with password "
            f"[bold]{shown}[/]. This is shown once; change it under your profile."
        )


def _serve(
    config: Settings,
    host: str | None,
    port: int | None,
    *,
    tls: ssl.SSLContext | None,
    run_engine: bool,
) -> None:
    configure_logging(config.log_level, config.log_format)
    app = create_app(config, registry=build_registry(), run_engine=run_engine)
    # What exists now (modules, routes, settings) lives as long as the process. Frozen, it is
    # left out of the cyclic collector's full passes, which otherwise stop a request for about
    # 100 ms whenever they run (docs/benchmarks.md, figure 7).
    gc.collect()
    gc.freeze()
    host = host or config.host
    port = port or config.port
    listener = _listen(host, port)
    scheme = "http" if tls is None else "https"
    console.print(f"Takepoint is serving on {scheme}://{host}:{port}  (Ctrl-C stops it)")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            ssl_context_factory=None if tls is None else lambda _config, _default: tls,
        )
    )
    # uvicorn raises Ctrl-C again once it has shut down cleanly.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the address is announced: a client that connects
    while the app is still starting waits in the backlog instead of being refused."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}: {exc.strerror}")
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        why = "it is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        fail(f"cannot listen on {host}:{port}: {why}")
    listener.listen(2048)
    return listener


def up(
    host: str | None = HostOption,
    port: int | None = PortOption,
    demo: bool = typer.Option(False, "--demo", help="load the demo hospital IT team"),
    tls_cert: Path | None = TlsCertOption,
    tls_key: Path | None = TlsKeyOption,
) -> None:
    """Run everything in one process: migrations, web UI, API and engine."""
    config = _settings(tls_cert, tls_key)
    tls = _tls(config)
    _prepare(config, demo=demo)
    _serve(config, host, port, tls=tls, run_engine=True)


def web(
    host: str | None = HostOption,
    port: int | None = PortOption,
    tls_cert: Path | None = TlsCertOption,
    tls_key: Path | None = TlsKeyOption,
) -> None:
    """Run only the web UI and API (engines run elsewhere, with `takepoint engine`)."""
    config = _settings(tls_cert, tls_key)
    tls = _tls(config)
    with database() as db:
        if migrations.pending(db):
            fail("the database schema is not up to date; run `takepoint migrate` first")
    _serve(config, host, port, tls=tls, run_engine=False)


def engine() -> None:
    """Run only the engine. Any number may run against one PostgreSQL database."""
    config = settings()
    configure_logging(config.log_level, config.log_format)
    stop = threading.Event()
    with database() as db:
        if migrations.pending(db):
            fail("the database schema is not up to date; run `takepoint migrate` first")
        runner = Engine(
            db=db,
            context=context(config),
            tick_seconds=config.engine_tick_seconds,
            job_timeout_seconds=config.job_timeout_seconds,
        )

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()
            runner.trigger()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        console.print(f"Engine {runner.worker_id} running (Ctrl-C stops it)")
        runner.run(stop)


def migrate(
    new: str = typer.Option(
        None, "--new", help="developers: autogenerate a migration", hidden=True
    ),
) -> None:
    """Bring the database schema up to date."""
    with database() as db:
        if new:
            migrations.new_revision(db, new)
            return
        before = migrations.current(db)
        migrations.upgrade(db)
        after = migrations.current(db)
    if before == after:
        console.print("The schema is up to date.")
    else:
        console.print(f"Migrated to {', '.join(sorted(after))}.")
