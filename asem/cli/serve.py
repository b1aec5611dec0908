"""``asem serve``: the REST server over one database, on loopback unless told otherwise."""

from __future__ import annotations

import ipaddress
import signal
from typing import Annotated

import typer

from asem.cli.context import make_llm, opened, settings
from asem.cli.output import stderr
from asem.errors import InvalidInputError, NotConfiguredError


def is_loopback(host: str) -> bool:
    """True for 'localhost' and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        "--host", metavar="ADDR",
        help="Address to listen on. Loopback by default; 0.0.0.0 serves every interface.",
    )] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="TCP port to listen on.")] = 8000,
    no_auth: Annotated[bool, typer.Option(
        "--no-auth", help="Serve without API keys (every request may act for any user it "
                          "names); refused on any address but loopback.",
    )] = False,
    max_body: Annotated[int, typer.Option(
        "--max-body", metavar="BYTES", min=1,
        help="Largest request body accepted; larger ones are refused with 413.",
    )] = 1_000_000,
    log_level: Annotated[str, typer.Option(
        "--log-level", metavar="LEVEL", help="uvicorn's log level: debug, info, warning, error.",
    )] = "info",
    maintain_every: Annotated[float | None, typer.Option(
        "--maintain-every", min=1.0, metavar="SECONDS", show_default=False,
        help="Run maintenance (expiry, budgets; see 'asem maintain') for every user this "
             "often in the background.",
    )] = None,
) -> None:
    """Serve the memory over HTTP: the web console at / (open http://HOST:PORT/ in a browser
    and enter an API key), REST under /v1, OpenAPI at /openapi.json, /healthz and /readyz.
    Requests need an API key (asem keys create) unless --no-auth.

    SIGTERM or Ctrl-C stop it gracefully: requests in flight finish, then the database is
    closed.
    """
    if no_auth and not is_loopback(host):
        raise InvalidInputError(f"--no-auth serves anyone who can reach {host}; it is allowed "
                                "on loopback only (--host 127.0.0.1). Create keys with "
                                "`asem keys create` to serve other hosts")
    try:
        import uvicorn

        from asem.server.app import create_app
        from asem.server.keys import StoreKeyRing, key_store
        from asem.server.state import ServerState
    except ImportError as e:
        raise NotConfiguredError(f"the server needs FastAPI and uvicorn ({e.name} is missing):"
                                 " pip install 'asem[server]'") from e
    options = settings(ctx)
    with opened(ctx) as memory:
        if options.llm:  # the server enriches in the background, unlike one-shot commands
            memory.use_llm(make_llm(options.llm), background=True)
        keys = None if no_auth else StoreKeyRing(key_store(memory.store))
        if keys is not None and not any(k.revoked_at is None for k in keys.list()):
            stderr().print("[yellow]no live API keys yet:[/] every request will be refused "
                           "until you create one with `asem keys create --user ID`")
        app = create_app(ServerState(memory, keys, max_body_bytes=max_body))
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(),
                                timeout_graceful_shutdown=30, server_header=False)
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the
        # handler it found: a stop asked for is a clean exit (status 0), not a kill.
        previous = signal.signal(signal.SIGTERM, lambda *_: None)
        loop = None
        if maintain_every is not None:
            from asem.lifecycle.background import MaintenanceLoop

            loop = MaintenanceLoop(memory, maintain_every).start()
        try:
            uvicorn.Server(config).run()
        finally:
            signal.signal(signal.SIGTERM, previous)
            if loop is not None:
                loop.stop()
