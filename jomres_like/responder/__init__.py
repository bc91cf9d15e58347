"""The simulation webhook responder of SPEC section 11 (``flask --app app responder ...``).

It plays a remote service: it receives a webhook, verifies its Standard Webhooks signature when given the
secret, gets a client-credentials token, calls back ``{api}/webhooks/{property_uid}/{task}/{id}``, logs what
it received and what the callback returned, and always answers 200. ``core`` holds the logic as plain
functions, ``client`` the API client, ``server`` the WSGI app, ``cli`` the command.
"""

from .client import ApiClient, ApiError, CallbackResult
from .core import Responder, build_logger, callback_target, close_logger
from .server import create_server, make_wsgi_app, serve_in_thread

__all__ = [
    "ApiClient",
    "ApiError",
    "CallbackResult",
    "Responder",
    "build_logger",
    "callback_target",
    "close_logger",
    "create_server",
    "make_wsgi_app",
    "serve_in_thread",
]
