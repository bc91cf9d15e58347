"""Administrator pages: site settings, users and assignments, logs, site-wide webhooks."""

from . import logs, views, webhooks  # noqa: F401 - attach the views
from .blueprint import bp as bp  # the package's public name
