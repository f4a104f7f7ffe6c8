"""Passphrase strength and the policy for new passphrases (no Qt).

The estimate is zxcvbn's (Dropbox's pattern-matching estimator: dictionaries,
common passwords, keyboard walks, sequences, dates, l33t substitutions), with
its score 0-4 and one short sentence for the user. zxcvbn looks at the first
:data:`ESTIMATE_LENGTH` characters only (it is quadratic and refuses longer
input); a longer passphrase is at least as strong as its beginning.

Policy for a *new* passphrase: what the strength meter rates at least fair
(zxcvbn score :data:`MIN_SCORE`), or a long one: at least :data:`MIN_LENGTH`
characters made of at least :data:`LONG_MIN_WORDS` different words. Never empty
or only whitespace; equal to its confirmation when one is given.

Why the long exception and why 24 characters in 4 words: zxcvbn prices each
word it knows as one guess among its dictionaries, so a passphrase of ordinary
words can be underrated, while four words picked from a 7776-word list are
about 51 bits and 24 characters of them more: far beyond an offline attack on
a slow KDF (scrypt). Length alone is not enough: "1234567890", twenty "a" or
"passwordpasswordpassword1" are long, and zxcvbn rightly rates such sequences
and repetitions very weak or weak; they are one "word" and are refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ESTIMATE_LENGTH",
    "LONG_MIN_WORDS",
    "MIN_LENGTH",
    "MIN_SCORE",
    "PolicyResult",
    "StrengthEstimate",
    "check_new_passphrase",
    "estimate_strength",
    "is_long_passphrase",
]

MIN_LENGTH = 24  # a long passphrase (see the module's text for why 24)
LONG_MIN_WORDS = 4  # ... of this many different words: not a sequence or a repetition
MIN_SCORE = 2  # "fair": what the strength meter shows as good enough
ESTIMATE_LENGTH = 72  # zxcvbn's own maximum
LABELS = ("very weak", "weak", "fair", "strong", "very strong")

# zxcvbn keeps the user inputs of the current call in a module-level dict:
# concurrent calls from two threads would see each other's.
_lock = threading.Lock()


@dataclass(frozen=True)
class StrengthEstimate:
    """zxcvbn's verdict: ``score`` 0 (very weak) to 4 (very strong) and a sentence for the user."""

    score: int
    feedback: str
    guesses_log10: float = 0.0
    crack_time: str = ""  # at 10^4 guesses per second (a slow KDF such as scrypt, attacked offline)

    @property
    def label(self) -> str:
        return LABELS[self.score]


@dataclass(frozen=True)
class PolicyResult:
    """Whether a new passphrase may be used; ``reason`` says why not (empty when accepted)."""

    accepted: bool
    reason: str
    estimate: StrengthEstimate

    def __bool__(self) -> bool:
        return self.accepted


def estimate_strength(passphrase: str, user_inputs: Sequence[str] = ()) -> StrengthEstimate:
    """Score ``passphrase``; ``user_inputs`` are words an attacker would try first (store name, user name)."""
    if not passphrase:
        return StrengthEstimate(0, "Enter a passphrase.")
    sample = passphrase[:ESTIMATE_LENGTH]
    with _lock:
        from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # 25 ms of import: when first needed

        result: dict[str, Any] = zxcvbn(sample, user_inputs=[str(word) for word in user_inputs if word])
    score = max(0, min(4, int(result["score"])))
    crack_time = str(result.get("crack_times_display", {}).get("offline_slow_hashing_1e4_per_second", ""))
    return StrengthEstimate(score, _sentence(score, result.get("feedback") or {}, crack_time),
                            float(result.get("guesses_log10", 0.0)), crack_time)


def _sentence(score: int, feedback: dict[str, Any], crack_time: str) -> str:
    warning = str(feedback.get("warning") or "").strip()
    suggestions = [str(s).strip() for s in feedback.get("suggestions") or [] if str(s).strip()]
    label = LABELS[score].capitalize()
    if warning:
        text = f"{label}: {_lower_first(warning)}"
    elif score >= MIN_SCORE:
        text = f"{label}: {crack_time} to guess offline." if crack_time else f"{label}."
    else:
        text = f"{label}: could be guessed in {crack_time}." if crack_time else f"{label}."
    if suggestions and score < 4:
        text = f"{text.rstrip('.')}. {suggestions[0]}"
    return text if text.endswith((".", "!", "?")) else text + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def is_long_passphrase(passphrase: str) -> bool:
    """At least MIN_LENGTH characters in LONG_MIN_WORDS different words (letters and digits
    between anything else): what the policy accepts whatever zxcvbn says."""
    words = {word.casefold() for word in re.split(r"[\W_]+", passphrase) if word}
    return len(passphrase) >= MIN_LENGTH and len(words) >= LONG_MIN_WORDS


def check_new_passphrase(
    passphrase: str, confirmation: str | None = None, user_inputs: Sequence[str] = ()
) -> PolicyResult:
    """Apply the minimum policy to a new passphrase (and its confirmation, when given)."""
    estimate = estimate_strength(passphrase, user_inputs)
    if not passphrase:
        return PolicyResult(False, "The passphrase is empty.", estimate)
    if not passphrase.strip():
        return PolicyResult(False, "The passphrase is only spaces.", estimate)
    if estimate.score < MIN_SCORE and not is_long_passphrase(passphrase):
        return PolicyResult(
            False,
            f"Too weak: use a passphrase rated {LABELS[MIN_SCORE]} or better, or at least {MIN_LENGTH}"
            f" characters in {LONG_MIN_WORDS} different words (this one has {len(passphrase)} and is"
            f" rated {estimate.label}).",
            estimate,
        )
    if confirmation is not None and confirmation != passphrase:
        return PolicyResult(False, "The confirmation does not match the passphrase.", estimate)
    return PolicyResult(True, "", estimate)
