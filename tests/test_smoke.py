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
