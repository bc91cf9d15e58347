"""``flask responder``: run the simulation webhook responder in the foreground (SPEC section 11)."""

from __future__ import annotations

import click
from flask import Flask, current_app

from .client import ApiClient, normalise_api_url
from .core import BadSecret, Responder, build_logger, close_logger, make_verifier, parse_syslog
from .server import create_server


def _api_url(ctx, param, value: str) -> str:
    try:
        return normalise_api_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _secret(ctx, param, value: str | None) -> str | None:
    if not value:
        return None
    try:
        make_verifier(value)
    except BadSecret as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _syslog(ctx, param, value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    try:
        return parse_syslog(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("responder")
@click.option("--api-url", required=True, callback=_api_url,
              help="The REST API root, e.g. http://127.0.0.1:5000/jomres/api")
@click.option("--client-id", required=True, help="An app key's client id.")
@click.option("--client-secret", required=True, envvar="JOMRES_RESPONDER_CLIENT_SECRET",
              help="The app key's secret (or JOMRES_RESPONDER_CLIENT_SECRET).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5055, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--secret", callback=_secret, envvar="JOMRES_RESPONDER_SECRET",
              help="The webhook's signing secret (whsec_...): verify every delivery with it.")
@click.option("--syslog", "syslog", callback=_syslog, metavar="HOST:PORT",
              help="Also log to syslog over UDP.")
def responder_command(api_url: str, client_id: str, client_secret: str, host: str, port: int,
                      secret: str | None, syslog: tuple[str, int] | None) -> None:
    """Receive webhooks, verify them, call the API back, log what happened; always answer 200."""
    logger = build_logger(current_app.config["JOMRES_LOG_DIR"], syslog=syslog)
    responder = Responder(ApiClient(api_url, client_id, client_secret), logger, secret)
    try:
        server = create_server(responder, host, port)
    except OSError as exc:
        close_logger(logger)
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    logger.info("Responder listening on http://%s:%s/ for %s (signatures %s)", host, server.port, api_url,
                "verified" if secret else "not checked")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        logger.info("Responder stopped")
        close_logger(logger)


def init_app(app: Flask) -> None:
    """Register ``flask responder``."""
    app.cli.add_command(responder_command)
