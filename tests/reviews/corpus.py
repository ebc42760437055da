"""Sentences from post-incident reviews, labelled: blaming (BAD) or neutral (GOOD).

The blame-language lint is tuned on this corpus. Run `python -m tests.reviews.corpus` to print
its precision and recall and the sentences it gets wrong. A few BAD sentences blame without any
telltale phrase; they are here on purpose, so recall is measured honestly.
"""

from __future__ import annotations

from dataclasses import dataclass

from takepoint.reviews.lint import Linter

NAMES = ["Sam Okafor", "Priya Raman", "Dana Whitfield", "Lee Chen", "Morgan Hale"]

BAD = [
    "Sam should have checked the transaction server first.",
    "The on-call engineer failed to escalate to the team lead.",
    "The root cause was human error.",
    "Lee forgot to renew the certificate.",
    "A careless change to the firewall took the network down.",
    "It was Priya's fault for not documenting the app server.",
    "This whole outage is his fault.",
    "Sam didn't check the disk on txn-01.",
    "Priya ignored the warning emails for a week.",
    "Dana broke the backup job when she changed the schedule.",
    "Honestly, the runbook was a load of crap.",
    "Why didn't anyone look at the transaction server?",
    "Lee should've known that the log volume was nearly full.",
    "The technician carelessly unplugged the drive to plug in a kettle.",
    "Operator error caused the second restart.",
    "Sam dropped the ball on the handover.",
    "Nobody bothered to read the runbook.",
    "The team was lazy about testing restores.",
    "She forgot the maintenance window.",
    "The admin messed up the DNS change.",
    "Priya failed to answer her phone.",
    "He ought to have called the supervisor earlier.",
    "This was a stupid mistake that cost us two hours.",
    "The developers are incompetent and never test anything.",
    "What the hell were they thinking, rebooting during a procedure?",
    "Lee caused the outage by deleting the old logs.",
    "The support agent is to blame for the lost callback.",
    "It's Dana's mistake that the backup was weeks old.",
    "Sam never told the director what was happening.",
    "The engineer should not have rebooted the server during theatre hours.",
    "Sam made a mistake by restarting the wrong service.",
    "The on-call person failed to notice the disk alert.",
    "Frankly, the vendor's fix was shit.",
    "Everyone forgot that the backup target was full.",
    "Priya's negligence left the app server without a backup lead.",
    "The damn alert fired at 3 a.m. for nothing.",
    "Lee wasn't paying attention during the change.",
    "Sam's sloppy notes made the handover harder.",
    "If Sam had done his job, none of this would have happened.",
    "The night shift just sat there while the system burned.",
    # Written after the rules, and kept whatever the lint made of them.
    "Priya left without handing over, as usual.",
    "The contractor screwed up the cabling.",
    "Dana wrongly assumed the backups were fine.",
    "Whoever wrote this script clearly didn't think.",
    "Lee neglected the patching schedule for months.",
    "The on-call engineer should have known better.",
    "Typical Sam, ignoring alerts again.",
    "Sam's carelessness cost the hospital two hours.",
]

GOOD = [
    "At 07:40 the theatre charge nurse called about the clinical app server.",
    "The backup job failed to run at 02:00 because the target volume was full.",
    "Nothing was monitoring the disk on txn-01.",
    "The runbook did not mention the transaction server.",
    "Sam paged the team lead at 09:05.",
    "Priya suggested a reboot by phone while on leave.",
    "Dana took point at 09:10 and found the full disk within fifteen minutes.",
    "We were lucky that theatre 2 had finished its list before the reboot was considered.",
    "This review does not blame anyone; it describes what happened.",
    "A disk alert could have fired hours before the failure.",
    "The error rate rose to 40% at 07:35.",
    "Nobody had been told that txn-01 keeps its logs on a 200 GB volume.",
    "The change was made without a second reviewer.",
    "Sam did not have access to txn-01 until 09:00.",
    "Add a reminder to the checklist so nobody has to remember the certificate dates.",
    "The log rotation job failed to compress files for three weeks.",
    "Human factors: the on-call engineer had been awake for twenty hours.",
    "The escalation policy paged the backup lead after five minutes without an acknowledgement.",
    "The theatre coordinator could not be reached on ext. 4412.",
    "Lee wrote the first runbook for the transaction server the next day.",
    "The certificate expired because no alert tracked its expiry date.",
    "Restarting the app service did not help, because the cause was elsewhere.",
    "The handover between shifts had no written checklist.",
    "Don't forget to include the department contacts in the runbook.",
    "The monitoring source resolved every alert at 09:41.",
    "Two hours were spent reading app server logs, which showed only timeouts.",
    "The director was not told until the next morning.",
    "Priya is the only person who knows the app server well.",
    "The disk filled because old transaction logs were never pruned.",
    "The on-call engineer followed the runbook step by step.",
    "The reboot was postponed after the theatre charge nurse said a procedure was in progress.",
    "What went well: the handoff to the supervisor was accepted within a minute.",
    "Our alerting had no rule for disk space on database hosts.",
    "The vendor's patch failed to install on the first attempt.",
    "She restored the service by freeing 40 GB of old logs.",
    "No one is to blame; the system allowed the change without a check.",
    "Sam asked for help after an hour, which the team lead gave at once.",
    "The damaged cable was replaced at 10:15.",
    "The team will add a disk monitor for txn-01 by Friday.",
    "The alert for the backup heartbeat failed to reach anyone because the mail relay was down.",
    "The first alert was missed because it went to a mailbox nobody reads.",
    "Dana didn't know the transaction server had its own log volume.",
    "Sam could not reboot during the procedure, so he read the logs instead.",
    # Written after the rules, and kept whatever the lint made of them.
    "Lee renewed the certificate at 11:00 once the alert arrived.",
    "The alert was routed to a team that had been disbanded.",
    "She was on leave, and her phone was off as agreed.",
    "The script assumed the volume was mounted at /var.",
    "Priya answered within ten minutes of the second call.",
    "The patch window moved twice because of theatre lists.",
    "Sam skipped lunch to finish the restore.",
    "Dana missed the first page because her phone was charging.",
]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    false_positives: list[str]
    false_negatives: list[str]


def score() -> Score:
    linter = Linter(NAMES)
    flagged_bad = [s for s in BAD if linter.lint(s)]
    flagged_good = [s for s in GOOD if linter.lint(s)]
    true_positives = len(flagged_bad)
    flagged = true_positives + len(flagged_good)
    return Score(
        precision=true_positives / flagged if flagged else 1.0,
        recall=true_positives / len(BAD),
        false_positives=flagged_good,
        false_negatives=[s for s in BAD if s not in flagged_bad],
    )


if __name__ == "__main__":
    result = score()
    print(f"{len(BAD)} blaming and {len(GOOD)} neutral sentences")
    print(f"precision {result.precision:.2f}, recall {result.recall:.2f}")
    for sentence in result.false_positives:
        print(f"  flagged but neutral: {sentence}")
    for sentence in result.false_negatives:
        print(f"  missed: {sentence}")
