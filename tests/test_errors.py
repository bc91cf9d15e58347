"""Error answers: pages in the product's words with a way back; the API's JSON envelope as before."""

from __future__ import annotations

import pytest
from flask import abort

from jomres_like.models import ROLE_REGISTERED

STOCK_WORDS = ("You don't have the permission", "The requested URL was not found", "Internal Server Error",
               "Forbidden", "Not Found")


@pytest.fixture
def failing_app(app):
    """The app with two routes that fail: an uncaught exception and an ``abort`` with its own words."""

    @app.route("/test-failure")
    def failure():
        raise RuntimeError("boom")

    @app.route("/jomres/api/test-failure")
    def api_failure():
        raise RuntimeError("boom")

    @app.route("/test-own-words")
    def own_words():
        abort(403, "Deferred tasks can be re-run only in development mode.")

    return app


def _assert_product_page(response, status: int, words: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert words in html
    assert 'href="/">Back to the start page</a>' in html
    assert not [stock for stock in STOCK_WORDS if stock in html]
    return html


def test_403_page_speaks_the_products_words_with_a_link_home(client, make_user, login):
    make_user("reggie", role=ROLE_REGISTERED)
    login("reggie")
    html = _assert_product_page(client.get("/manager/"), 403, "Your account may not open this page")
    assert "Log out" in html  # the layout, with its menu, not a bare text page


def test_404_page_speaks_the_products_words_with_a_link_home(client):
    _assert_product_page(client.get("/no-such-page"), 404, "There is nothing at this address")


def test_500_page_speaks_the_products_words_with_a_link_home(failing_app):
    response = failing_app.test_client().get("/test-failure")
    html = _assert_product_page(response, 500, "Something went wrong on our side")
    assert "boom" not in html


def test_a_views_own_words_are_kept(failing_app):
    response = failing_app.test_client().get("/test-own-words")
    _assert_product_page(response, 403, "Deferred tasks can be re-run only in development mode.")


def test_a_previous_page_of_this_site_is_offered_and_another_sites_is_not(client):
    own = client.get("/no-such-page", headers={"Referer": "http://localhost/login"}).get_data(as_text=True)
    assert 'href="http://localhost/login">Back to the previous page' in own
    other = client.get("/no-such-page", headers={"Referer": "https://elsewhere.example/"})
    assert "elsewhere.example" not in other.get_data(as_text=True)


@pytest.mark.parametrize(("path", "status"), [("/jomres/api/no-such-thing", 404),
                                              ("/jomres/api/test-failure", 500)])
def test_the_api_still_answers_its_json_envelope(failing_app, path, status):
    response = failing_app.test_client().get(path)
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == status and body["meta"]["code"] == status
    assert body["error_message"] == body["meta"]["error_message"]
    assert "boom" not in response.get_data(as_text=True)
