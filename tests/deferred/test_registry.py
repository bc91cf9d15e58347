"""The processor registry: the task file's processor name chooses the code; immediate webhooks use 07310."""

from __future__ import annotations

import pytest

from jomres_like.deferred import registry
from jomres_like.deferred.registry import Answer
from jomres_like.extensions import db
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
    return manager, make_property("One", managers=[manager])


def _raise(app, prop) -> None:
    with app.app_context():
        raise_event("guest_saved", property_uid=prop.id, guest_uid=7)
        db.session.commit()


def _url(app, task_id: str) -> str:
    with app.app_context():
        from jomres_like.deferred.selfcall import signature

        return f"/background_process?payload_source={task_id}&sig={signature(task_id)}"


def test_the_processor_registered_under_the_files_name_runs_the_task(
    app, client, setup, make_webhook, tasks_dir, httpserver
):
    make_webhook(setup[0], url=httpserver.url_for("/hook"))
    calls = []

    def stand_in(claimed):
        calls.append((claimed.task_id, claimed.task["processor"]))
        return Answer(200, {"status": "stood in"})

    registry.register("07320watcher_authmethod_process_none", stand_in, app)
    _raise(app, setup[1])
    [task_id] = [path.name for path in tasks_dir.iterdir() if path.is_file()]
    response = client.get(_url(app, task_id))
    assert response.status_code == 200 and response.json == {"status": "stood in"}
    assert calls == [(task_id, "07320watcher_authmethod_process_none")]
    assert httpserver.log == []  # the auth method's own processor never ran


def test_an_immediate_webhook_goes_through_its_07310_processor(
    app, setup, make_webhook, httpserver, tasks_dir
):
    make_webhook(setup[0], url=httpserver.url_for("/hook"), mode="immediate")
    httpserver.expect_request("/hook").respond_with_data("ok")
    _raise(app, setup[1])
    assert len(httpserver.log) == 1
    log = open(app.config["JOMRES_LOG_DIR"] + "/DeferredTasks.application.log").read()
    assert "Starting call to minicomponent 07310watcher_authmethod_process_none" in log
    assert "07320watcher_authmethod_process_none" not in log
