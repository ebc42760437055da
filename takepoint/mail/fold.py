"""Folding quoted history and signatures away: what the sender wrote this time.

The ticket shows only the newest reply; the whole message stays one click away (the mail
domain's "original" page). `mail-parser-reply` knows the reply headers of many languages'
mail clients ("On ... wrote:", "Am ... schrieb", Outlook's "From: / Sent:" block).
"""

from __future__ import annotations

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

# The languages whose quote headers are recognised (English is always among them).
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs"]
_PARSER = EmailReplyParser(languages=LANGUAGES)


def latest_reply(text: str) -> str:
    """The newest part of a message's text, or all of it when nothing new can be told apart
    (a message that is only a quote keeps its quote)."""
    if not text.strip():
        return ""
    try:
        replies = _PARSER.read(text).replies
        # `body` is the newest reply without its signature and disclaimers.
        reply = str(replies[0].body or "").strip() if replies else ""
    except (ValueError, IndexError, AttributeError, TypeError):  # the library's own bug
        return text.strip()
    return reply or text.strip()
