"""`/background_process`: signature and id checks, claims, outcomes, retries, failed tasks, dev mode."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from oauth_support import TokenServer
from sqlalchemy import select
from standardwebhooks import Webhook as StandardWebhook
from werkzeug import Response

from jomres_like.extensions import db
from jomres_like.models import DeliveryAttempt, Webhook, WebhookDelivery
from jomres_like.services.events import raise_event


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed, retries without delay."""
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def setup(make_user, make_property):
    """A manager with a property."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    return manager, prop


@pytest.fixture
def raise_one(app, setup, tasks_dir):
    """Raise and commit one event; return the ids of the task files it produced."""

    def go(name: str = "guest_saved", **ids) -> list[str]:
        before = {p.name for p in tasks_dir.iterdir()}
        with app.app_context():
            raise_event(name, property_uid=setup[1].id, **(ids or {"guest_uid": 7}))
            db.session.commit()
        return sorted(p.name for p in tasks_dir.iterdir() if p.is_file() and p.name not in before)

    return go


def _url(app, task_id: str) -> str:
    with app.app_context():
        from jomres_like.deferred.selfcall import signature

        return f"/background_process?payload_source={task_id}&sig={signature(task_id)}"


def _delivery(app, **where) -> WebhookDelivery:
    with app.app_context():
        delivery = db.session.scalar(select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id))
        db.session.expunge(delivery)
        return delivery


def _attempts(app, delivery_id: int) -> list[DeliveryAttempt]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(DeliveryAttempt).filter_by(delivery_id=delivery_id).order_by(DeliveryAttempt.number)
            )
        )


def test_delivers_signed_envelope_then_the_url_is_gone(
    app, client, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    hook = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    [task_id] = raise_one()
    response = client.get(_url(app, task_id))
    assert response.status_code == 200, response.json
    assert response.json["status"] == "succeeded"
    request, _ = httpserver.log[0]
    body = request.get_data(as_text=True)
    StandardWebhook(hook.plain_secret).verify(body, dict(request.headers))
    envelope = json.loads(body)
    assert envelope["event"] == "guest_saved" and envelope["data"]["guest_uid"] == 7
    assert envelope["data"]["task"] == "guest_saved" and envelope["data"]["manager_id"] == setup[0].id
    assert not (tasks_dir / task_id).exists()
    again = client.get(_url(app, task_id))
    assert again.status_code == 410
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "payload_source=abc&sig=00",
        "payload_source=../../../../etc/passwd&sig=00",
        "payload_source=" + "a" * 49 + "/&sig=00",
        "payload_source=" + "a" * 51 + "&sig=00",
        "payload_source=" + "é" * 50 + "&sig=00",
    ],
)
def test_malformed_ids_are_refused_before_the_filesystem(client, query, tasks_dir):
    before = sorted(tasks_dir.rglob("*"))
    response = client.get("/background_process?" + query)
    assert response.status_code == 400
    assert response.json["status"] == "error"
    assert sorted(tasks_dir.rglob("*")) == before


def test_forged_signature_runs_nothing(app, client, setup, make_webhook, httpserver, raise_one, tasks_dir):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    [task_id] = raise_one()
    content = (tasks_dir / task_id).read_bytes()
    real = _url(app, task_id).rsplit("=", 1)[1]
    tampered = real[:-1] + ("1" if real[-1] == "0" else "0")
    with app.app_context():
        from jomres_like.deferred.selfcall import signature
        from jomres_like.deferred.store import new_task_id

        other_tasks_sig = signature(new_task_id())
    for sig in ("", "0" * 64, tampered, real.upper(), other_tasks_sig, "x" * 500):
        response = client.get(f"/background_process?payload_source={task_id}&sig={sig}")
        assert response.status_code == 403
    assert httpserver.log == []
    assert (tasks_dir / task_id).read_bytes() == content


def test_unknown_and_malformed_tasks_get_4xx_and_files_stay(app, client, tasks_dir, httpserver):
    with app.app_context():
        from jomres_like.deferred.store import new_task_id

        missing, broken = new_task_id(), new_task_id()
    (tasks_dir / broken).write_text("{not json")
    assert client.get(_url(app, missing)).status_code == 404
    response = client.get(_url(app, broken))
    assert response.status_code == 422
    assert (tasks_dir / broken).read_text() == "{not json"
    assert httpserver.log == []


def test_retries_until_2xx_with_one_webhook_id(app, client, setup, make_webhook, httpserver, raise_one):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    for _ in range(3):
        httpserver.expect_ordered_request("/hook").respond_with_data("nope", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    [task_id] = raise_one()
    states = [client.get(_url(app, task_id)).json["status"] for _ in range(4)]
    assert states == ["pending", "pending", "pending", "succeeded"]
    ids = {request.headers["webhook-id"] for request, _ in httpserver.log}
    assert len(httpserver.log) == 4 and len(ids) == 1
    delivery = _delivery(app)
    assert delivery.status == "succeeded" and delivery.attempts == 4
    assert [a.status_code for a in _attempts(app, delivery.id)] == [500, 500, 500, 200]


def test_exhausted_task_moves_to_failed_and_redelivery_sends_it_again(
    app, client, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    [task_id] = raise_one()
    for _ in range(4):
        client.get(_url(app, task_id))
    assert (tasks_dir / "failed" / task_id).is_file() and not (tasks_dir / task_id).exists()
    delivery = _delivery(app)
    assert delivery.status == "failed" and delivery.attempts == 4
    assert client.get(_url(app, task_id)).status_code == 410  # production: processed
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    with app.app_context():
        from jomres_like.webhooks.dispatch import redeliver

        redeliver(db.session.get(WebhookDelivery, delivery.id))
        db.session.commit()
    new_id = _delivery(app).task_id
    assert new_id != task_id and not (tasks_dir / "failed" / task_id).exists()
    assert client.get(_url(app, new_id)).json["status"] == "succeeded"
    again = _delivery(app)
    assert again.status == "succeeded" and again.attempts == 5 and again.message_id == delivery.message_id
    assert _attempts(app, delivery.id)[-1].redelivery is True


def test_without_wait_for_confirmation_one_failure_is_final(
    app, client, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    make_webhook(setup[0], url=httpserver.url_for("/hook"), wait_for_confirmation=False)
    httpserver.expect_request("/hook").respond_with_data("no", status=500)
    [task_id] = raise_one()
    assert client.get(_url(app, task_id)).json["status"] == "failed"
    assert (tasks_dir / "failed" / task_id).is_file()


def test_gone_disables_the_webhook_with_a_reason(app, client, setup, make_webhook, httpserver, raise_one):
    hook = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("gone", status=410)
    [task_id] = raise_one()
    assert client.get(_url(app, task_id)).json["status"] == "failed"
    with app.app_context():
        stored = db.session.get(Webhook, hook.id)
        assert stored.enabled is False and "410" in stored.disabled_reason


def test_five_days_of_failure_disable_the_webhook(app, client, setup, make_webhook, httpserver, raise_one):
    from jomres_like.timeutil import utcnow

    hook = make_webhook(
        setup[0],
        url=httpserver.url_for("/hook"),
        consecutive_failures=40,
        failing_since=utcnow() - timedelta(days=5, minutes=1),
    )
    httpserver.expect_request("/hook").respond_with_data("no", status=500)
    [task_id] = raise_one()
    client.get(_url(app, task_id))
    with app.app_context():
        stored = db.session.get(Webhook, hook.id)
        assert stored.enabled is False and "5 days" in stored.disabled_reason
        assert stored.consecutive_failures == 41


def test_retry_after_is_honoured(app, client, setup, make_webhook, httpserver, raise_one):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_response(
        Response("later", status=429, headers={"Retry-After": "120"})
    )
    [task_id] = raise_one()
    body = client.get(_url(app, task_id)).json
    assert body["status"] == "pending"
    delivery = _delivery(app)
    assert delivery.next_attempt_at - _attempts(app, delivery.id)[0].started_at >= timedelta(seconds=119)
    early = client.get(_url(app, task_id))
    assert early.status_code == 202 and len(httpserver.log) == 1  # not due yet: nothing sent


def test_missing_processor_is_a_warning_and_the_task_is_kept(
    app, client, setup, make_webhook, raise_one, tasks_dir
):
    make_webhook(setup[0], auth_method="carrier_pigeon")
    [task_id] = raise_one()
    response = client.get(_url(app, task_id))
    assert response.status_code == 404 and response.json["status"] == "kept"
    assert (tasks_dir / task_id).is_file()
    log = open(app.config["JOMRES_LOG_DIR"] + "/DeferredTasks.application.log").read()
    assert "WARNING" in log and "Failed to find 07320watcher_authmethod_process_carrier_pigeon" in log


def test_development_mode_keeps_files_and_a_pasted_url_reruns(
    app, client, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    app.config["JOMRES_DEVELOPMENT"] = True
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    [task_id] = raise_one()
    assert client.get(_url(app, task_id)).json["status"] == "succeeded"
    assert json.loads((tasks_dir / task_id).read_text())["done"] is True
    assert client.get(_url(app, task_id)).json["status"] == "succeeded"
    assert len(httpserver.log) == 2
    assert len({request.headers["webhook-id"] for request, _ in httpserver.log}) == 1
    assert _delivery(app).attempts == 2


def test_a_claimed_task_does_not_run_twice_at_once(app, client, setup, make_webhook, httpserver, raise_one):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    [task_id] = raise_one()
    with app.app_context():
        from jomres_like.deferred import store

        with store.claim(task_id):
            response = client.get(_url(app, task_id))
    assert response.status_code == 409
    assert httpserver.log == []


def test_deliveries_in_flight_are_bounded(app, client, setup, make_webhook, raise_one):
    from jomres_like.deferred.runner import delivery_slot

    hook = make_webhook(setup[0])
    [task_id] = raise_one()
    app.config.update(JOMRES_INFLIGHT_PER_WEBHOOK=1, JOMRES_INFLIGHT_QUEUE=0)
    with app.app_context(), delivery_slot(hook.id) as first:
        assert first is True
        response = client.get(_url(app, task_id))
    assert response.status_code == 503 and response.json["status"] == "busy"
    assert _delivery(app).attempts == 0


def test_a_task_behind_a_full_webhook_is_queued_not_run(app, client, setup, make_webhook, raise_one):
    from jomres_like.deferred import slots
    from jomres_like.deferred.runner import delivery_slot

    hook = make_webhook(setup[0])
    [task_id] = raise_one()
    app.config.update(JOMRES_INFLIGHT_PER_WEBHOOK=1)
    with app.app_context(), delivery_slot(hook.id) as first:
        assert first is True
        response = client.get(_url(app, task_id))
        assert response.status_code == 202 and response.json["status"] == "queued"
        assert client.get(_url(app, task_id)).status_code == 202  # fired again: queued once
        assert slots.queued(hook.id) == 1
        slots.drop_queue(hook.id)
    assert _delivery(app).attempts == 0


def test_immediate_webhooks_are_delivered_at_dispatch(
    app, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    make_webhook(setup[0], url=httpserver.url_for("/hook"), mode="immediate")
    httpserver.expect_request("/hook").respond_with_data("ok")
    raise_one()
    assert len(httpserver.log) == 1
    assert _delivery(app).status == "succeeded"
    assert not [p for p in tasks_dir.iterdir() if p.is_file()]


def test_send_test_event_goes_to_that_webhook_only(app, client, setup, make_webhook, httpserver):
    target = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    make_webhook(None, url=httpserver.url_for("/other"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    with app.app_context():
        from jomres_like.webhooks.dispatch import send_test_event

        delivery = send_test_event(db.session.get(Webhook, target.id))
        db.session.commit()
        task_id = delivery.task_id
    assert client.get(_url(app, task_id)).json["status"] == "succeeded"
    assert [request.path for request, _ in httpserver.log] == ["/hook"]
    assert json.loads(httpserver.log[0][0].get_data())["data"]["webhook_id"] == target.id


def test_no_secret_reaches_the_logs(app, client, setup, make_webhook, httpserver, raise_one):
    hook = make_webhook(
        setup[0],
        url=httpserver.url_for("/hook"),
        auth_method="basic",
        auth_settings={"username": "u", "password": "s3cr3t-pass-word"},
    )
    httpserver.expect_request("/hook").respond_with_data("ok")
    [task_id] = raise_one()
    client.get(_url(app, task_id))
    from pathlib import Path

    logs = "".join(p.read_text() for p in Path(app.config["JOMRES_LOG_DIR"]).glob("*.log"))
    assert "Received deferred message notification " + task_id in logs
    assert "Starting call to minicomponent 07320watcher_authmethod_process_basic" in logs
    assert "s3cr3t-pass-word" not in logs and hook.plain_secret not in logs


@pytest.mark.mechanism
def test_an_attempt_reads_its_delivery_and_webhook_in_one_statement_outside_its_session(
    app, client, setup, make_webhook, httpserver, raise_one, monkeypatch
):
    """Mechanism (plain rows: one SELECT per attempt, no session transaction around the send).

    One SELECT of the delivery with its webhook, on a connection of its own: the attempt's session has no
    transaction while the receiver is called, nor when the outcome joins the group write."""
    from sqlalchemy import event as sa_event

    from jomres_like.webhooks import attempt, outcomes

    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    [task_id] = raise_one()
    reads, open_transaction = [], {}
    real_record, real_send = outcomes.record, attempt.send

    def record(outcome):
        open_transaction["outcome"] = db.session().in_transaction()
        real_record(outcome)

    def send(method, delivery, webhook):
        open_transaction["send"] = db.session().in_transaction()
        return real_send(method, delivery, webhook)

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().upper().startswith("SELECT") and "webhook_deliveries" in statement:
            reads.append(statement)

    monkeypatch.setattr(outcomes, "record", record)
    monkeypatch.setattr(attempt, "send", send)
    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(_url(app, task_id))
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
    assert response.json["status"] == "succeeded"
    assert len(reads) == 1 and "JOIN webhooks" in reads[0]
    assert open_transaction == {"send": False, "outcome": False}
    assert _delivery(app).status == "succeeded"


def _oauth_hook(make_webhook, owner, httpserver) -> Webhook:
    """An ``oauth`` webhook at the receiver's ``/hook``, its token endpoint at ``/token``."""
    settings = {"token_url": httpserver.url_for("/token"), "client_id": "app-1", "client_secret": "secret-1"}
    return make_webhook(owner, url=httpserver.url_for("/hook"), auth_method="oauth", auth_settings=settings)


def test_an_oauth_token_fetched_by_one_attempt_is_stored_for_the_next(
    app, client, setup, make_webhook, httpserver, raise_one
):
    """The attempt's webhook is a plain record: the token cache reaches the database by its own statement."""
    from jomres_like import crypto

    tokens = TokenServer()
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_data("ok")
    hook = _oauth_hook(make_webhook, setup[0], httpserver)
    for _ in range(2):
        [task_id] = raise_one()
        assert client.get(_url(app, task_id)).json["status"] == "succeeded"
    assert tokens.issued == ["tok-1"]
    bearers = [r.headers["Authorization"] for r, _ in httpserver.log if r.path == "/hook"]
    assert bearers == ["Bearer tok-1", "Bearer tok-1"]
    with app.app_context():
        stored = db.session.get(Webhook, hook.id)
        assert crypto.decrypt_json(stored.token_cache_encrypted)["access_token"] == "tok-1"
        assert stored.token_expires_at is not None


def test_an_oauth_token_refused_later_is_cleared_from_the_database(
    app, client, setup, make_webhook, httpserver, raise_one
):
    """A 401 to the stored token clears it; the token endpoint is down: the attempt fails, no token kept."""
    from jomres_like import crypto

    accepted = {"Bearer tok-1"}
    tokens = TokenServer(down_after=1)  # the endpoint is down after its first token

    def receive(request):
        if request.headers.get("Authorization") in accepted:
            return Response("ok")
        return Response("", status=401)

    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_handler(receive)
    hook = _oauth_hook(make_webhook, setup[0], httpserver)
    [first] = raise_one()
    assert client.get(_url(app, first)).json["status"] == "succeeded"
    with app.app_context():
        stored = db.session.get(Webhook, hook.id)
        assert crypto.decrypt_json(stored.token_cache_encrypted)["access_token"] == "tok-1"
    accepted.clear()
    [second] = raise_one()
    answer = client.get(_url(app, second)).json
    assert answer["status"] == "pending" and answer["error"].startswith("Token request failed")
    with app.app_context():
        stored = db.session.get(Webhook, hook.id)
        assert stored.token_cache_encrypted is None and stored.token_expires_at is None


def test_a_disabled_webhooks_task_is_recorded_as_failed_and_moved(
    app, client, setup, make_webhook, httpserver, raise_one, tasks_dir
):
    hook = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    [task_id] = raise_one()
    with app.app_context():
        db.session.get(Webhook, hook.id).enabled = False
        db.session.commit()
    response = client.get(_url(app, task_id))
    assert response.status_code == 200 and response.json["status"] == "failed"
    assert httpserver.log == []
    delivery = _delivery(app)
    assert (delivery.status, delivery.last_error, delivery.next_attempt_at) == (
        "failed", "The webhook is disabled.", None)
    assert delivery.completed_at is not None
    assert not (tasks_dir / task_id).exists() and (tasks_dir / "failed" / task_id).exists()
