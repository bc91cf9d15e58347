"""Site-wide webhooks: the manager's webhook pages, registered on the admin blueprint as ``admin.site_*``.

The service gives administrators the site-wide webhooks (``owner_id`` ``None``) instead of their own, so the
views, forms and templates are the same.
"""

from __future__ import annotations

from ..manager.webhooks import register_webhook_pages
from .blueprint import bp

register_webhook_pages(bp, prefix="site_")
