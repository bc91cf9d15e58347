"""A tiny requests-based "browser" for the Walkthrough's clicks: follow a link by its text, press a button.

It does what a person's browser does with the server-rendered pages (which work without JavaScript): a link is
found by its visible text, a button by its label, and the form around the button is submitted with the values
the page filled in (CSRF token included), changed only where the step says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

TIMEOUT = 30


@dataclass
class Form:
    """One form of a page: where it goes, its fields as a browser would send them, its buttons' labels."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    """Collects the links (text -> href) and the forms of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._href: str | None = None
        self._text: list[str] = []
        self._button = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "a" and attrs.get("href"):
            self._href, self._text = attrs["href"], []
        elif tag == "form":
            self._form = Form(attrs.get("action", ""), (attrs.get("method") or "get").lower())
            self.forms.append(self._form)
        elif tag == "button" and self._form is not None:
            self._button, self._text = True, []
        elif tag == "option" and self._select is not None:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif self._form is not None and attrs.get("name"):
            self._field(tag, attrs)

    def _field(self, tag: str, attrs: dict) -> None:
        name, kind = attrs["name"], (attrs.get("type") or "text").lower()
        if tag == "input" and kind == "checkbox":
            self._form.checkboxes.setdefault(name, []).append(attrs.get("value") or "y")
            if "checked" in attrs:
                self._form.fields.append((name, attrs.get("value") or "y"))
        elif tag == "input" and kind == "radio":
            if "checked" in attrs:
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "input" and kind not in ("submit", "button", "reset"):
            self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "select":
            self._select, self._options = name, []
        elif tag == "textarea":
            self._textarea = name
            self._form.fields.append((name, ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._href is not None or self._button:
            self._text.append(data)
        if self._textarea and self._form is not None:
            name, value = self._form.fields[-1]
            self._form.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        label = " ".join("".join(self._text).split())
        if tag == "a" and self._href is not None:
            self.links.append((label, self._href))
            self._href = None
        elif tag == "button" and self._button:
            self._form.buttons.append(label)
            self._button = False
        elif tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, picked in self._options if picked] or [v for v, _ in self._options[:1]]
            if self._form is not None and chosen:
                self._form.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Browser:
    """A ``requests.Session`` that clicks links and buttons by their labels, as the Walkthrough says."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.url = base_url
        self.response: requests.Response | None = None

    @property
    def html(self) -> str:
        """The current page's HTML."""
        return self.response.text if self.response is not None else ""

    def open(self, path_or_url: str) -> requests.Response:
        """Type a URL into the address bar."""
        self.url = urljoin(self.base_url + "/", path_or_url)
        self.response = self.session.get(self.url, timeout=TIMEOUT)
        self.url = self.response.url
        return self.response

    def _parse(self) -> _PageParser:
        parser = _PageParser()
        parser.feed(self.html)
        return parser

    def links(self) -> list[tuple[str, str]]:
        """The page's links as ``(text, href)``."""
        return self._parse().links

    def follow(self, text: str) -> requests.Response:
        """Click the first link whose visible text is ``text``."""
        for label, href in self.links():
            if label == text:
                return self.open(urljoin(self.url, href))
        raise AssertionError(f"no link {text!r} on {self.url}; links: {[label for label, _ in self.links()]}")

    def forms_with(self, button: str) -> list[Form]:
        """The page's forms that have a button labelled ``button``."""
        return [form for form in self._parse().forms if button in form.buttons]

    def press(self, button: str, form: Form | None = None, values: dict | None = None,
              tick: dict | None = None) -> requests.Response:
        """Press ``button`` (in ``form``, else the first form having it), some fields typed or ticked."""
        if form is None:
            forms = self.forms_with(button)
            assert forms, f"no button {button!r} on {self.url}"
            form = forms[0]
        values, tick = values or {}, tick or {}
        sent = [(name, value) for name, value in form.fields if name not in values and name not in tick]
        sent += list(values.items())
        for name, wanted in tick.items():
            offered = form.checkboxes.get(name, [])
            for value in wanted:
                assert value in offered, f"no checkbox {name}={value!r} on {self.url}"
                sent.append((name, value))
        target = urljoin(self.url, form.action or self.url)
        if form.method == "post":
            self.response = self.session.post(target, data=sent, timeout=TIMEOUT)
        else:
            self.response = self.session.get(target, params=sent, timeout=TIMEOUT)
        self.url = self.response.url
        return self.response

    def log_in(self, username: str, password: str) -> requests.Response:
        """Open the login page and log in."""
        self.open("/login")
        response = self.press("Log in", values={"username": username, "password": password})
        assert "/login" not in response.url, f"login failed for {username}: {response.status_code}"
        return response

