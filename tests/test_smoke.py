"""The app starts, the demo seeds, and people log in."""


def test_demo_seeds_three_properties(app, demo):
    from jomres_like.extensions import db
    from jomres_like.models import Property

    with app.app_context():
        names = [p.name for p in db.session.query(Property).order_by(Property.id)]
    assert names == ["Fawlty Towers", "Best West Hotel", "Grand Budapest"]


def test_manager_logs_in_and_sees_dashboard(client, demo):
    response = client.post("/login", data={"username": "manager", "password": "manager"})
    assert response.status_code == 302
    assert client.get("/manager/").status_code == 200


def test_unread_flash_messages_do_not_grow_the_session_without_bound(client, demo):
    from jomres_like.templating import MAX_FLASHES

    client.post("/login", data={"username": "manager", "password": "manager"})
    for _ in range(MAX_FLASHES + 4):  # a client that never follows the redirects
        client.post("/logout")
        client.post("/login", data={"username": "manager", "password": "manager"})
    with client.session_transaction() as session:
        assert 0 < len(session.get("_flashes", [])) <= MAX_FLASHES
