"""The blame-language lint: phrases that make a review about a person instead of the system.

Each finding names the phrase, explains why it tends to stop learning, and offers a neutral
rewrite of its sentence. The rules are tuned on the corpus in tests/reviews/corpus.py, which
reports precision and recall (see docs/reviews.md); they favour precision, because a lint that
cries wolf gets overridden by habit.

Rules:
- hindsight: "should have", "ought to have", "why didn't …";
- failed to: "failed to" when a person (a name, a pronoun, a role) is its subject;
- human error: "human error", "operator error", "PEBKAC";
- forgot: "forgot" and its forms (not the instruction "don't forget");
- judgement: "careless", "lazy", "incompetent", "dropped the ball", "couldn't be bothered"…;
- fault: "his/her/their fault", "<Name>'s fault", "to blame", "blamed" (not "not to blame");
- profanity;
- person failure: a person's name, or he/she, as the subject of a failure verb
  ("Sam didn't check", "Priya ignored", "Lee broke").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from takepoint.reviews import wording


@dataclass(frozen=True)
class Finding:
    rule: str
    phrase: str
    start: int
    end: int
    explanation: str
    suggestion: str
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "phrase": self.phrase,
            "start": self.start,
            "end": self.end,
            "explanation": self.explanation,
            "suggestion": self.suggestion,
        }


EXPLAIN = {
    "hindsight": "Hindsight: it judges a past decision by what is known now. Describe what the "
    "person knew at the time and what made the other choice hard to see.",
    "failed_to": "It makes a person the subject of a failure. Describe what did not happen "
    "and what got in the way.",
    "human_error": "'Human error' ends the inquiry where it should start. Name the conditions "
    "(tools, information, time pressure, fatigue) that made the action likely.",
    "forgot": "It puts the gap in someone's memory. Ask why the process relied on memory, and "
    "what would prompt the next person.",
    "judgement": "It judges a person instead of describing what happened.",
    "fault": "Assigning fault stops people from telling the whole story. Describe the events "
    "and the conditions, not whose fault it was.",
    "profanity": "Strong language reads as anger at someone; keep the review neutral.",
    "person_failure": "A person as the subject of a failure makes the sentence about them. "
    "Make the system, the step or the situation the subject.",
}

PRONOUNS = r"he|she|they|you|we|i"
# Nouns that stand for a person (or people) when they are a sentence's subject.
PERSON_NOUNS = (
    r"engineer|admin|administrator|sysadmin|operator|technician|tech|on-?call|responder|nurse|"
    r"staff|colleague|person|someone|somebody|nobody|no one|anyone|manager|supervisor|lead|"
    r"owner|developer|dev|analyst|contractor|intern|he|she|they|you|we|i|team|agent|"
    r"director|doctor|user|caller"
)

_HINDSIGHT = re.compile(
    r"\b(?:should(?:n'?t| not)?|ought(?:n'?t)? to|oughta)\s+(?:have|'ve)\b|\bshould've\b"
    r"|\bwhy\s+(?:didn'?t|did not|wasn'?t|was not|hadn'?t|had not|couldn'?t|hasn'?t)\s+"
    r"(?:he|she|they|you|we|anyone|somebody|someone|[A-Z][a-z]+)\b",
    re.IGNORECASE,
)
_FAILED_TO = re.compile(
    r"\b(?:failed|fails|failing)\s+to\s+(?P<verb>[a-z]+)(?P<rest>[^.;!?]*)", re.I
)
_HUMAN_ERROR = re.compile(
    r"\b(?:human|operator|user|pilot|people|personnel)\s+(?:error|mistake|failure)s?\b"
    r"|\bPEBKAC\b|\bPICNIC\b|\bID-?10-?T\b|\blayer\s*8\b",
    re.IGNORECASE,
)
_FORGOT = re.compile(r"\b(?P<word>forgot|forgotten|forgets|forgetting|forget)\b", re.I)
_NOT_BLAME_FORGET = re.compile(r"\b(?:don'?t|do not|never|won'?t|will not|lest we)\s+$", re.I)
_JUDGEMENT = re.compile(
    r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppily|sloppiness|laz(?:y|ily|iness)"
    r"|incompeten(?:t|ce|tly)|stupid(?:ly|ity)?|dumb|reckless(?:ly|ness)?|clueless|idiot(?:ic|s)?"
    r"|moron(?:ic|s)?|inexcusabl[ey]|unprofessional(?:ly)?|irresponsibl[ey]|useless|hopeless"
    r"|dropped the ball|asleep at the wheel|(?:should|ought to) know better"
    r"|(?:didn'?t|did not|never|nobody|no one|couldn'?t be)\s+bother(?:ed)?(?:\s+to)?"
    r"|messed up|screwed up|cocked up|cock-?up|balls-?up|botched)\b",
    re.IGNORECASE,
)
_FAULT = re.compile(
    r"\b(?:(?:his|her|their|your|my|our)\s+(?:own\s+)?fault"
    r"|[A-Z][a-z]+(?:'s|\u2019s)\s+(?:fault|mistake|error|blunder)"
    r"|(?:his|her|their)\s+(?:mistake|error|blunder)"
    r"|at fault|to blame|blam(?:e|ed|es|ing)|culprit)\b"
)
_NOT_BLAME = re.compile(r"\b(?:not|no|n't|never|without|nobody is|no one is)\s+(?:\w+\s+)?$", re.I)
_PROFANITY = re.compile(
    r"\b(?:fuck\w*|shit\w*|crap(?:py)?|damn(?:ed|it)?|bloody|bollocks|arse\w*|asshole\w*"
    r"|bastard\w*|wtf|ffs|pissed|piss\w*|bugger\w*|goddamn\w*|hell of a mess"
    r"|what the (?:hell|heck|fuck))\b",
    re.IGNORECASE,
)
_FAILURE_VERBS = (
    r"didn'?t|did not|never|failed|forgot|missed|ignored|neglected|broke|overlooked|botched"
    r"|messed up|screwed up|caused|mistakenly|wrongly|carelessly|misconfigured|skipped"
    r"|made (?:a|an|the) (?:mistake|error|blunder)|should|wasn'?t paying|was not paying"
    r"|refused to|couldn'?t be bothered|took down|brought down|wiped"
)
# After "didn't", these describe a situation, not a failure: "Sam didn't have access".
_CIRCUMSTANCE = re.compile(
    r"^\s*(?:have|know|receive|get|hear|see|find|reach|own|work|need|exist)\b", re.IGNORECASE
)


# A sentence ends at . ! or ? before a capital or a digit (so "3 a.m. for" stays whole), or
# at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n+")


def _sentences(text: str) -> Iterable[tuple[int, str]]:
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if text[start : boundary.start()].strip():
            yield start, text[start : boundary.start()]
        start = boundary.end()
    if text[start:].strip():
        yield start, text[start:]


def _person_subject(before: str, names: re.Pattern[str] | None) -> bool:
    """Whether the words just before a verb name a person (the verb's likely subject)."""
    tail = re.split(r"[,;:]|\b(?:and|but|because|so|when|while|after|although)\b", before)[-1]
    words = tail.strip().split()[-4:]
    if not words:
        return False
    joined = " ".join(words)
    if names is not None and names.search(joined):
        return True
    return bool(re.search(rf"\b(?:{PERSON_NOUNS})s?\b", joined, re.IGNORECASE))


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    parts: set[str] = set()
    for name in names:
        name = name.strip()
        if len(name) >= 2:
            parts.add(re.escape(name))
            parts.update(re.escape(p) for p in name.split() if len(p) >= 2 and p[0].isupper())
    if not parts:
        return None
    alternatives = "|".join(sorted(parts, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")


class Linter:
    """The rules, with the people's names of this Takepoint (for "<name> didn't …")."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = _names_pattern(names)
        subjects = r"\b(?:he|she)\b"
        if self.names is not None:
            subjects = rf"(?:{self.names.pattern}|{subjects})"
        self.person_failure = re.compile(
            rf"(?P<who>{subjects})(?:'s)?\s+(?:(?:just|simply|again|also|then|clearly|obviously"
            rf"|had|has|completely|totally)\s+)?(?P<verb>{_FAILURE_VERBS})\b(?P<rest>[^.;!?]*)",
            re.IGNORECASE,
        )

    def lint(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for offset, sentence in _sentences(text):
            found += self._sentence(sentence, offset)
        return found

    def _sentence(self, sentence: str, offset: int) -> list[Finding]:
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []

        def add(rule: str, match: re.Match[str], suggestion: str) -> None:
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                return
            taken.append((start, end))
            found.append(
                Finding(
                    rule=rule,
                    phrase=match.group(0).strip(),
                    start=offset + start,
                    end=offset + end,
                    explanation=EXPLAIN[rule],
                    suggestion=suggestion,
                    sentence=sentence.strip(),
                )
            )

        # Most specific first: where two rules cover the same words, the first one speaks.
        for match in _PROFANITY.finditer(sentence):
            add("profanity", match, wording.without(sentence, match))
        for match in _HUMAN_ERROR.finditer(sentence):
            add("human_error", match, wording.replace_human_error(sentence, match))
        for match in _FAULT.finditer(sentence):
            if _NOT_BLAME.search(sentence[: match.start()]):
                continue
            add("fault", match, wording.describe_events())
        for match in _JUDGEMENT.finditer(sentence):
            add("judgement", match, wording.judgement(sentence, match))
        for match in _HINDSIGHT.finditer(sentence):
            add("hindsight", match, wording.hindsight(sentence, match))
        for match in _FAILED_TO.finditer(sentence):
            if _person_subject(sentence[: match.start()], self.names):
                add("failed_to", match, wording.did_not_happen(match))
        for match in _FORGOT.finditer(sentence):
            if _NOT_BLAME_FORGET.search(sentence[: match.start()]):
                continue
            add("forgot", match, wording.nothing_prompted(sentence, match))
        for match in self.person_failure.finditer(sentence):
            negated = match.group("verb").lower().startswith(("didn", "did not"))
            if negated and _CIRCUMSTANCE.match(match.group("rest")):
                continue
            add("person_failure", match, wording.passive(match))
        return sorted(found, key=lambda f: f.start)


def lint(text: str, *, names: Iterable[str] = ()) -> list[Finding]:
    """Blame-language findings in `text`; `names` are people's names to watch for."""
    return Linter(names).lint(text)
