"""``live.form_fields``: what the end-to-end tests and the bench post back, read as a browser would."""

from live import form_fields

PAGE = """
<form method="get"><input name="q" value="search"></form>
<form method="post" action="/small"><input name="csrf_token" type="hidden" value="t1"></form>
<form method="post" action="/booking">
  <input name="csrf_token" type="hidden" value="t2">
  <input name="departure" value="2026-12-03">
  <input name="paid" type="checkbox" checked>
  <input name="vip" type="checkbox" value="yes">
  <input name="kind" type="radio" value="a">
  <input name="kind" type="radio" value="b" checked>
  <select name="room_uids" multiple>
    <option value="1" selected>Room 1</option><option value="2">Room 2</option>
    <option value="3" selected>Room 3</option>
  </select>
  <textarea name="special_reqs">Late &amp; quiet</textarea>
  <input type="submit" name="save" value="Save">
</form>
"""


def test_the_largest_post_form_as_a_browser_submits_it():
    assert form_fields(PAGE) == [
        ("csrf_token", "t2"),
        ("departure", "2026-12-03"),
        ("paid", "y"),
        ("kind", "b"),
        ("room_uids", "1"),
        ("room_uids", "3"),
        ("special_reqs", "Late & quiet"),
    ]


def test_a_page_without_a_post_form_has_no_fields():
    assert form_fields('<form method="get"><input name="q"></form>') == []
