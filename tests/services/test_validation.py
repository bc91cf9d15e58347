"""services.validation: the one text check every form, API schema and service applies."""

from __future__ import annotations

import pytest

from jomres_like.services import ValidationError
from jomres_like.services.validation import require_text, text_problem


@pytest.mark.parametrize(("text", "word"), [
    ("a\x00b", "NUL character (U+0000)"),
    ("\ud800", "lone surrogate (U+D800)"),
    ("ok \udfff", "lone surrogate (U+DFFF)"),
    ("\x1b[31m", "control character U+001B"),
    ("bell\x07", "control character U+0007"),
    ("\x0b", "control character U+000B"),
])
def test_text_no_field_may_hold_is_named(text, word):
    """NUL, lone surrogates and C0 controls other than tab, LF and CR are refused, the character named."""
    assert word in text_problem(text)


@pytest.mark.parametrize("text", ["", "plain", "tab\tand\r\nnewlines", "Zoë 🏨 \ufffd", "\x7f", "\u2028"])
def test_ordinary_text_has_no_problem(text):
    """Tab, CR, LF, any Unicode scalar value and U+FFFD (what Werkzeug makes of invalid UTF-8) are text."""
    assert text_problem(text) is None


def test_require_text_refuses_a_nul_on_its_field():
    """The services' text rule refuses a NUL with a ValidationError on the field, the label in the message."""
    with pytest.raises(ValidationError) as caught:
        require_text("Room\x00 1", "number", "Room number")
    assert caught.value.field == "number"
    assert caught.value.message == "Room number: Must not contain a NUL character (U+0000)."
