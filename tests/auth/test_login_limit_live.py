"""Under gunicorn with three workers the login limit holds for the whole site, not per worker."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(live_database, tmp_path):
    """The real app under gunicorn, three workers, with the demo data (the ``manager`` account)."""
    from live import LiveServer

    live = LiveServer(tmp_path / "live", live_database, env={"JOMRES_DEMO": "1"}, workers=3)
    live.start(timeout=60)
    yield live
    live.stop()


def test_eleven_wrong_passwords_on_fresh_connections_get_a_429_by_the_eleventh(server):
    from live import csrf_token

    answers = []
    for number in range(11):
        with requests.Session() as browser:  # a new connection (and cookie jar) every time
            form = browser.get(server.url + "/login", timeout=10)
            data = {"username": "manager", "password": f"wrong-{number}", "csrf_token": csrf_token(form.text)}
            answers.append(browser.post(server.url + "/login", data=data, timeout=10, allow_redirects=False))
    assert [answer.status_code for answer in answers] == [400] * 10 + [429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many failed logins" in refused.text
