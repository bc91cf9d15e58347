"""jomres_like: a self-hosted booking-portal core with webhooks and an OAuth2 REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from .config import PROJECT_ROOT, build_config
from .version import PRODUCT, __version__

__all__ = ["PRODUCT", "__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides the defaults and the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str((config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure_app(app, config)
    configure_extensions(app)
    configure_logging(app)
    configure_events(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    configure_response_headers(app)
    register_cli(app)
    return app


def configure_app(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Apply defaults, environment and overrides; make sure the working folders exist, private (0700)."""
    app.config.update(build_config(app.instance_path, config))
    from pathlib import Path

    from .files import private_folder

    for folder in (app.config["JOMRES_TEMP_DIR"], app.config["JOMRES_LOG_DIR"]):
        private_folder(folder)
    if Path(app.instance_path).is_dir():  # made when the secret key or the SQLite database is first written
        private_folder(app.instance_path)


def configure_extensions(app: Flask) -> None:
    """Bind the database, migrations, login, CSRF and rate limiting to the app."""
    from . import models  # noqa: F401 - register the tables
    from .extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from .sqlite_writes import init_app as init_sqlite_writes

    init_sqlite_writes(app)  # SQLite: WAL, and writers taking turns through our lock (nothing elsewhere)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from .services.users import user_of_session

        return user_of_session(user_id)


def configure_logging(app: Flask) -> None:
    """Open the ``<Channel>.application.log`` files."""
    from .logs import configure_logging as configure

    configure(app)


def configure_events(app: Flask) -> None:
    """Keep the per-transaction event buffer and let the event consumers subscribe."""
    from .services.events import configure_event_buffer

    with app.app_context():
        configure_event_buffer()
    from .deferred import init_app as init_deferred
    from .webhooks import init_app as init_webhooks

    init_deferred(app)  # the task registry, /background_process and the sweeper, before their users
    init_webhooks(app)


def register_blueprints(app: Flask) -> None:
    """Register the blueprints by audience; each declares its protection when registered."""
    from .access import protect
    from .admin import bp as admin_bp
    from .api import init_app as init_api
    from .auth import bp as auth_bp
    from .manager import bp as manager_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(protect(manager_bp, "manager"))
    app.register_blueprint(protect(admin_bp, "administrator"))
    init_api(app)


def register_error_handlers(app: Flask) -> None:
    """HTML error pages for people, the JSON envelope under ``/jomres/api/``."""
    from .errors import init_app as init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    """Globals and filters the templates use."""
    from .templating import init_app as init_templating

    init_templating(app)


def configure_response_headers(app: Flask) -> None:
    """Content Security Policy, no framing and no MIME sniffing on every response Flask answers."""
    from .headers import init_app as init_headers

    init_headers(app)


def register_cli(app: Flask) -> None:
    """The ``flask`` commands of SPEC section 11."""
    from .cli import init_app as init_cli

    init_cli(app)
