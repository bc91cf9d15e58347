"""Site-wide webhooks on the admin pages, and the catalogue's sample payloads and verification code."""

from __future__ import annotations

import html as html_lib
import json
import re
import time

from standardwebhooks.webhooks import Webhook as StandardWebhook

from jomres_like.extensions import db
from jomres_like.models import Webhook, WebhookDelivery
from jomres_like.signals import CATALOGUE
from jomres_like.webhooks import signing

from .conftest import URL


def test_administrator_manages_site_wide_webhooks(app, client, login, people, make_webhook):
    managers, _ = make_webhook("mgr", description="A manager's")
    login("root")
    assert "A manager" not in client.get("/admin/webhooks").get_data(as_text=True)
    response = client.post("/admin/webhooks/new", data={
        "url": URL, "description": "Site audit", "auth_method": "none", "mode": "deferred", "enabled": "y",
        "wait_for_confirmation": "y"})
    assert response.status_code == 303
    assert "whsec_" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        webhook = db.session.query(Webhook).filter_by(description="Site audit").one()
        assert webhook.owner_id is None
        webhook_id = webhook.id
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Site audit" in listing and "Site-wide webhooks" in listing
    assert f"/admin/webhooks/{webhook_id}/edit" in listing and "/manager/webhooks" not in listing
    assert client.post(f"/admin/webhooks/{webhook_id}/test").headers["Location"].endswith(
        f"/admin/webhooks/{webhook_id}/deliveries")
    with app.app_context():
        delivery = db.session.query(WebhookDelivery).filter_by(webhook_id=webhook_id).one()
        assert delivery.event == "webhook_test"
    redeliver = client.post(f"/admin/webhooks/deliveries/{delivery.id}/redeliver")
    assert redeliver.headers["Location"].endswith(f"/admin/webhooks/{webhook_id}/deliveries")
    assert client.post(f"/admin/webhooks/{webhook_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Webhook, webhook_id) is None
        assert db.session.get(Webhook, managers) is not None


def test_catalogue_lists_every_event_with_a_sample_payload(client, login, people):
    login("mgr")
    page = client.get("/manager/webhooks/events").get_data(as_text=True)
    blocks = re.findall(r"<summary>Sample payload</summary><pre><code>(.*?)</code>", page, re.S)
    samples = [json.loads(html_lib.unescape(block)) for block in blocks]
    assert [sample["event"] for sample in samples] == list(CATALOGUE)
    booking = samples[list(CATALOGUE).index("booking_added")]
    assert booking["data"]["task"] == "booking_added" and booking["data"]["contract_uid"]
    assert booking["id"].startswith("msg_") and "record" not in booking


def test_the_by_hand_verification_code_verifies_real_signatures(client, login, people, make_webhook, app):
    """The stdlib snippet on the page accepts our own signatures and refuses a tampered body."""
    webhook_id, _ = make_webhook("mgr")
    login("mgr")
    page = client.get("/manager/webhooks/events").get_data(as_text=True)
    code = html_lib.unescape(re.search(r"<pre><code>(import base64.*?)</code></pre>", page, re.S).group(1))
    namespace: dict = {}
    exec(compile(code, "catalogue-snippet", "exec"), namespace)  # noqa: S102 - our own page's example
    verify = namespace["verify"]
    body = b'{"event": "webhook_test"}'
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        old = signing.signing_secrets(webhook)[0]
        new = signing.rotate(webhook)
        headers = signing.sign_headers(webhook, "msg_" + "a" * 26, body, int(time.time()))
        stale = signing.sign_headers(webhook, "msg_" + "a" * 26, body, int(time.time()) - 3600)
    assert len(headers["webhook-signature"].split()) == 2  # new and previous secret during the rotation
    for secret in (new, old):
        assert verify(secret, headers, body) is True
        StandardWebhook(secret).verify(body, headers)  # and the library agrees
    assert verify(new, headers, body + b" ") is False
    assert verify(signing.generate_secret(), headers, body) is False
    assert verify(new, stale, body) is False  # correctly signed, but an hour old: a replay
