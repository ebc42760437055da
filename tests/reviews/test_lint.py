"""The blame-language lint: measured on its corpus, and useful on each finding."""

from __future__ import annotations

from takepoint.reviews.lint import lint
from tests.reviews.corpus import BAD, GOOD, NAMES, score


def test_it_reaches_its_precision_and_recall_targets_on_the_corpus() -> None:
    result = score()
    print(
        f"lint on {len(BAD)} blaming / {len(GOOD)} neutral sentences: "
        f"precision {result.precision:.2f}, recall {result.recall:.2f}"
    )
    assert len(BAD) + len(GOOD) >= 60
    assert result.precision >= 0.9, result.false_positives
    assert result.recall >= 0.8, result.false_negatives


def test_it_explains_each_finding_and_offers_a_neutral_rewrite() -> None:
    cases = {
        "Sam didn't check the disk on txn-01.": (
            "person_failure",
            "The disk was not checked on txn-01: what made that likely?",
        ),
        "The on-call engineer failed to escalate to the team lead.": (
            "failed_to",
            "Escalating to the team lead did not happen: what got in the way?",
        ),
        "Sam should have checked the transaction server first.": (
            "hindsight",
            "Checking the transaction server first would have helped: what made it hard to see "
            "at the time?",
        ),
        "Lee forgot to renew the certificate.": (
            "forgot",
            "Nothing prompted renewing the certificate: what would remind the next person "
            "(a checklist step, an alert)?",
        ),
        "A careless change to the firewall took the network down.": (
            "judgement",
            "A change to the firewall took the network down.",
        ),
    }
    for sentence, (rule, rewrite) in cases.items():
        (finding,) = lint(sentence, names=NAMES)
        assert (finding.rule, finding.suggestion) == (rule, rewrite), sentence
        assert finding.explanation
        assert sentence[finding.start : finding.end] == finding.phrase


def test_it_finds_phrases_inside_a_longer_text_at_their_place() -> None:
    text = "At 07:40 the call came in.\nHonestly, it was human error. Nobody is to blame."
    (finding,) = lint(text)
    assert finding.rule == "human_error"
    assert text[finding.start : finding.end] == "human error"


def test_it_leaves_a_blameless_account_alone() -> None:
    account = (
        "The disk on txn-01 filled because nothing monitored it. The backup job failed to run "
        "at 02:00. This review does not blame anyone. Don't forget to add the contacts."
    )
    assert lint(account, names=NAMES) == []
