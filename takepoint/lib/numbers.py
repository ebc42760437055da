"""Reading a whole number out of text that anybody can send."""

from __future__ import annotations

# More digits than any id or count Takepoint stores; int() refuses past 4,300 anyway.
_MOST_DIGITS = 18


def is_digits(text: str) -> bool:
    """Whether `text` is a whole number in ASCII digits, which int() reads as one.

    `str.isdigit()` is true of "¹" and "²", which int() refuses (a 500 where a 404 or 422
    belongs), and of other scripts' digits, which no id is written in.
    """
    return text.isascii() and text.isdigit() and len(text) <= _MOST_DIGITS
