"""Neutral rewrites for the blame-language lint's findings.

The rewrites are suggestions a person will edit, not grammar engines: they turn the sentence
around so that the system, the step or the situation is its subject.
"""

from __future__ import annotations

import re

_GERUNDS = {
    "be": "being", "been": "being", "do": "doing", "done": "doing", "go": "going",
    "gone": "going", "see": "seeing", "seen": "seeing", "know": "knowing", "known": "knowing",
    "tell": "telling", "told": "telling", "take": "taking", "taken": "taking",
    "write": "writing", "written": "writing", "run": "running", "keep": "keeping",
    "kept": "keeping", "read": "reading", "send": "sending", "sent": "sending",
    "make": "making", "made": "making", "get": "getting", "got": "getting",
    "gotten": "getting", "give": "giving", "given": "giving", "speak": "speaking",
    "spoken": "speaking", "ring": "ringing", "rung": "ringing", "leave": "leaving",
    "left": "leaving", "set": "setting", "put": "putting", "shut": "shutting", "stop": "stopping",
    "plan": "planning", "find": "finding", "found": "finding", "think": "thinking",
    "thought": "thinking", "bring": "bringing", "brought": "bringing", "buy": "buying",
    "catch": "catching", "caught": "catching", "hear": "hearing", "heard": "hearing",
    "tried": "trying", "try": "trying", "hold": "holding", "held": "holding",
}  # fmt: skip
_PARTICIPLES = {
    "be": "been", "do": "done", "go": "gone", "see": "seen", "know": "known", "tell": "told",
    "take": "taken", "write": "written", "run": "run", "keep": "kept", "read": "read",
    "send": "sent", "make": "made", "get": "got", "give": "given", "speak": "spoken",
    "ring": "rung", "leave": "left", "set": "set", "put": "put", "shut": "shut",
    "stop": "stopped", "plan": "planned", "find": "found", "bring": "brought", "buy": "bought",
    "catch": "caught", "hear": "heard", "hold": "held", "try": "tried", "reply": "replied",
    "answer": "answered", "escalate": "escalated", "check": "checked", "call": "called",
}  # fmt: skip
_VOWELS = "aeiou"


def gerund(word: str) -> str:
    """check -> checking, escalate -> escalating, checked -> checking (rough, for suggestions)."""
    lower = word.lower()
    if lower in _GERUNDS:
        return _GERUNDS[lower]
    if lower.endswith("ied"):
        return lower[:-3] + "ying"
    if lower.endswith("ed") and len(lower) > 4:
        stem = lower[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem + "ing"  # stopped -> stopping
        return stem + "ing"
    if lower.endswith("ie"):
        return lower[:-2] + "ying"
    if lower.endswith("e") and not lower.endswith(("ee", "ye", "oe")):
        return lower[:-1] + "ing"
    if (
        len(lower) <= 4
        and len(lower) >= 3
        and lower[-1] not in _VOWELS + "wxy"
        and lower[-2] in _VOWELS
        and lower[-3] not in _VOWELS
    ):
        return lower + lower[-1] + "ing"
    return lower + "ing"


_PAST = {
    "knew": "known", "saw": "seen", "wrote": "written", "ran": "run", "did": "done",
    "went": "gone", "took": "taken", "gave": "given", "spoke": "spoken", "rang": "rung",
}  # fmt: skip
_IRREGULAR = frozenset(_PARTICIPLES.values())


def participle(word: str) -> str:
    """check -> checked, tell -> told; a past form becomes its participle (knew -> known)."""
    lower = word.lower()
    if lower in _PARTICIPLES:
        return _PARTICIPLES[lower]
    if lower in _PAST:
        return _PAST[lower]
    if lower in _IRREGULAR or lower.endswith("ed"):
        return lower
    if lower.endswith("e"):
        return lower + "d"
    if lower.endswith("y") and len(lower) > 2 and lower[-2] not in _VOWELS:
        return lower[:-1] + "ied"
    return lower + "ed"


def _capital(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return _capital(text.lstrip(",;: "))


def _end(text: str) -> str:
    text = text.rstrip(" ,;:")
    return text if text.endswith((".", "!", "?")) else text + "."


def _clause(text: str) -> str:
    return re.sub(r"[.!?]+$", "", text).strip()


_DETERMINERS = {"the", "a", "an", "his", "her", "their", "its", "our", "this", "that", "those"}
_BREAKS = re.compile(
    r"\s+\b(?:when|while|because|after|before|by|during|as|so|for|since|until|on|in|at|from)\b",
    re.IGNORECASE,
)


_STOP = {
    "what", "who", "whom", "that", "which", "why", "how", "was", "were", "is", "are", "had",
    "has", "to", "and", "or", "but", "again", "either",
}  # fmt: skip


def _object_split(text: str) -> tuple[str, str]:
    """'the disk on txn-01' -> ('the disk', 'on txn-01'), roughly: the first noun phrase."""
    text = _clause(text)
    words = text.split()
    if not words:
        return "it", ""
    size = 2 if words[0].lower() in _DETERMINERS and len(words) > 1 else 1
    # "the warning emails", "the backup job": keep going up to a preposition or conjunction.
    end = size
    while (
        end < len(words)
        and end < size + 2
        and not _BREAKS.match(" " + words[end])
        and words[end].lower() not in _STOP
    ):
        end += 1
    thing = " ".join(words[:end])
    thing = re.sub(r"^(?:his|her|their)\b", "the", thing, flags=re.IGNORECASE)
    return thing, " ".join(words[end:])


def _was(thing: str) -> str:
    last = thing.split()[-1].lower() if thing.split() else ""
    return "were" if last.endswith("s") and not last.endswith("ss") else "was"


_COPULA = re.compile(r"\b(?:was|were|is|are|been|be|seems?|seemed|looks?|looked)\s+$", re.I)
_DANGLING = re.compile(r"\b(?:of|so|such|very|really)\s*$", re.I)
GENERIC_JUDGEMENT = (
    "Describe what was done and what made it hard at the time, without judging anyone."
)
GENERIC_PROFANITY = "Say plainly what was wrong, without the strong word."


def without(sentence: str, match: re.Match[str]) -> str:
    """The sentence with the loaded word taken out, when that still reads."""
    before, after = sentence[: match.start()], sentence[match.end() :]
    ends_sentence = not re.search(r"\w", after)
    if ends_sentence or not before.strip() or _DANGLING.search(before) or _COPULA.search(before):
        return GENERIC_PROFANITY
    return _end(_tidy(before + after))


_PHRASAL = re.compile(
    r"^(?:messed up|screwed up|cocked up|botched|dropped the ball|cock-?up|balls-?up)", re.I
)
_BOTHER = re.compile(r"bother(?:ed)?\s+to$", re.IGNORECASE)


def judgement(sentence: str, match: re.Match[str]) -> str:
    """A neutral sentence for a judging word: the work, not the person, as the subject."""
    phrase = match.group(0)
    before, after = sentence[: match.start()], sentence[match.end() :]
    if _PHRASAL.match(phrase):
        thing, tail = _object_split(re.sub(r"^\s*(?:on|with)\b", "", after))
        rest = f" {tail}" if tail else ""
        return f"{_capital(thing)} did not go as planned{rest}: what made that likely?"
    if _BOTHER.search(phrase):
        verb = re.match(r"\s*([a-z]+)(.*)", after, re.IGNORECASE)
        if verb:
            phrase = f"{gerund(verb.group(1))} {_clause(verb.group(2))}".strip()
            return f"{_capital(phrase)} did not happen: what got in the way?"
        return GENERIC_JUDGEMENT
    if re.search(r"(?:ness|ence|ity|iness)$", phrase, re.IGNORECASE):
        owner = re.search(r"(?:\b[A-Z][a-z]+(?:'s|\u2019s)|\b(?:his|her|their))\s*$", before)
        start = owner.start() if owner else len(before)
        return _end(_tidy(before[:start] + " the conditions at the time " + after))
    if _COPULA.search(before) or not before.strip():
        return GENERIC_JUDGEMENT
    return _end(_tidy(before + after))


def replace_human_error(sentence: str, match: re.Match[str]) -> str:
    rest = (
        sentence[: match.start()]
        + "a step the system made easy to get wrong"
        + (sentence[match.end() :])
    )
    return _end(_tidy(rest)) + " Describe that step and what made it easy to get wrong."


def describe_events() -> str:
    return (
        "Describe what happened in order, and what made it likely, without saying whose fault "
        "it was."
    )


def hindsight(sentence: str, match: re.Match[str]) -> str:
    said = match.group(0).lower()
    after = _clause(sentence[match.end() :])
    words = after.split()
    if said.startswith("why") or not words or not re.match(r"^[A-Za-z]+$", words[0]):
        return "Describe what was known at the time, and what would make the better choice easier."
    phrase = f"{gerund(words[0])} {' '.join(words[1:])}".strip()
    if "not" in said or "n't" in said:
        return f"{_capital(phrase)} turned out badly: what made it look right at the time?"
    return f"{_capital(phrase)} would have helped: what made it hard to see at the time?"


def did_not_happen(match: re.Match[str]) -> str:
    phrase = f"{gerund(match.group('verb'))} {_clause(match.group('rest'))}".strip()
    return f"{_capital(phrase)} did not happen: what got in the way?"


def nothing_prompted(sentence: str, match: re.Match[str]) -> str:
    after = sentence[match.end() :]
    to = re.match(r"\s+to\s+(?P<verb>[a-z]+)(?P<rest>[^.;!?]*)", after, re.IGNORECASE)
    if to:
        phrase = f"{gerund(to.group('verb'))} {to.group('rest').strip()}".strip()
        return (
            f"Nothing prompted {phrase}: what would remind the next person "
            "(a checklist step, an alert)?"
        )
    return "The step was missed: what would remind the next person (a checklist step, an alert)?"


_OVERLOOKED = ("ignored", "neglected", "overlooked", "missed", "skipped", "forgot")
_BROKE = ("broke", "took down", "brought down", "wiped", "misconfigured")


def passive(match: re.Match[str]) -> str:
    """'Sam didn't check the disk' -> 'The disk was not checked: what made that likely?'"""
    verb = " ".join(match.group("verb").lower().split())
    rest = _clause(match.group("rest"))
    if re.match(r"^(?:didn'?t|did not|never)$", verb):
        words = rest.split(maxsplit=1)
        if words and re.match(r"^[a-z]+$", words[0]):
            thing, tail = _object_split(words[1] if len(words) > 1 else "")
            tail = f" {tail}" if tail else ""
            done = participle(words[0])
            return f"{_capital(thing)} {_was(thing)} not {done}{tail}: what made that likely?"
    if verb in _OVERLOOKED:
        thing, tail = _object_split(rest)
        tail = f" {tail}" if tail else ""
        return (
            f"{_capital(thing)} {_was(thing)} not acted on{tail}: what made "
            f"{'them' if _was(thing) == 'were' else 'it'} easy to overlook?"
        )
    if verb in _BROKE:
        thing, _ = _object_split(rest)
        return f"{_capital(thing)} stopped working after a change: what made the change risky?"
    if verb == "caused":
        thing = re.split(r"\s+\bby\b", rest, maxsplit=1)[0] or "it"
        return f"What led to {thing}? Describe the change and the conditions around it."
    if verb in ("wrongly", "mistakenly", "carelessly"):
        return f"{match.group('who')} {rest}: what made that look right at the time?"
    if verb.startswith("made"):
        return "Describe the step that went wrong, and what made it easy to get wrong."
    if "paying" in verb:
        return "Describe what was competing for attention at the time."
    return "Make the system or the step the subject: what happened, and what made it likely?"
