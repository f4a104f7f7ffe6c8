"""Passphrase strength (zxcvbn) and the minimum policy for new passphrases."""

from __future__ import annotations

import threading

import pytest

from zhi_gui.core.passphrase import (
    ESTIMATE_LENGTH,
    LONG_MIN_WORDS,
    MIN_LENGTH,
    MIN_SCORE,
    PolicyResult,
    StrengthEstimate,
    check_new_passphrase,
    estimate_strength,
    is_long_passphrase,
)


def test_empty_passphrase_scores_zero_without_calling_zxcvbn() -> None:
    estimate = estimate_strength("")
    assert estimate == StrengthEstimate(0, "Enter a passphrase.")


@pytest.mark.parametrize("weak", ["password", "123456", "qwerty", "aaaaaa", "abc"])
def test_common_and_trivial_passphrases_score_low(weak: str) -> None:
    estimate = estimate_strength(weak)
    assert estimate.score <= 1
    assert estimate.label in ("very weak", "weak")
    assert estimate.feedback.endswith(".")


@pytest.mark.parametrize("strong", ["correct horse battery staple", "kX8!pq#2zR-Velum", "Tr0ub4dor&3-plinth"])
def test_long_random_or_many_word_passphrases_score_high(strong: str) -> None:
    estimate = estimate_strength(strong)
    assert estimate.score >= MIN_SCORE
    assert estimate.guesses_log10 > 10
    assert "to guess offline" in estimate.feedback


def test_feedback_is_one_short_sentence_with_a_hint() -> None:
    estimate = estimate_strength("password")
    assert estimate.feedback.startswith("Very weak: ")
    assert "common password" in estimate.feedback
    assert len(estimate.feedback) < 160
    assert estimate.feedback.count("\n") == 0


def test_user_inputs_lower_the_score() -> None:
    plain = estimate_strength("acme-vault-2024")
    with_inputs = estimate_strength("acme-vault-2024", user_inputs=["acme", "vault"])
    assert with_inputs.guesses_log10 < plain.guesses_log10


def test_long_passphrases_are_estimated_on_their_beginning() -> None:
    # zxcvbn's time grows fast with length; only the first ESTIMATE_LENGTH characters
    # are estimated, so a 2,200-character paste costs what 72 characters cost.
    long = "kX8!pq#2zR-" * 200
    estimate = estimate_strength(long)
    assert estimate.score == 4
    assert ESTIMATE_LENGTH == 72
    assert estimate == estimate_strength(long[:ESTIMATE_LENGTH])


def test_scores_are_in_range_for_odd_input() -> None:
    for text in [" ", "\t\n", "ü" * 12, "🔑🔑🔑🔑", "a\0b", "Ω≈ç√∫µ≤≥÷"]:
        assert 0 <= estimate_strength(text).score <= 4


def test_concurrent_estimates_are_consistent() -> None:
    expected = {p: estimate_strength(p, [p[:4]]) for p in ("alpha-bravo-77", "zulu-yankee-13")}
    results: list[bool] = []

    def worker(p: str) -> None:
        for _ in range(20):
            results.append(estimate_strength(p, [p[:4]]) == expected[p])

    threads = [threading.Thread(target=worker, args=(p,)) for p in expected for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results and all(results)


# ------------------------------------------------------------------ policy


@pytest.mark.parametrize("weak", ["1234567890", "abcdefghij", "12345678901234567890", "a" * 30,
                                  "abcdefghijklmnopqrstuvwx"])
def test_policy_refuses_what_the_meter_calls_very_weak_even_when_long(weak: str) -> None:
    assert estimate_strength(weak).score == 0
    result = check_new_passphrase(weak, weak)
    assert not result.accepted and "Too weak" in result.reason and "very weak" in result.reason


@pytest.mark.parametrize("long_but_weak", ["aaaaaaaaaaaaaaaaaaaaaaab", "passwordpasswordpassword1",
                                           "productiondatabase123456"])
def test_policy_refuses_long_repetitions_the_meter_rates_below_fair(long_but_weak: str) -> None:
    assert len(long_but_weak) >= MIN_LENGTH and not is_long_passphrase(long_but_weak)
    result = check_new_passphrase(long_but_weak, long_but_weak, ["productiondatabase"])
    assert result.estimate.score < MIN_SCORE and not result.accepted, result


def test_a_long_passphrase_is_24_characters_in_four_different_words() -> None:
    assert is_long_passphrase("kittens are very cute ok")
    assert not is_long_passphrase("kittens are cute ok")  # 19 characters
    assert not is_long_passphrase("kitten kitten kitten kitten")  # one word, repeated
    assert not is_long_passphrase("kittens-are-verycuteok!!")  # three words
    assert len("kittens are very cute ok") == MIN_LENGTH and LONG_MIN_WORDS == 4


def test_policy_accepts_short_but_fair() -> None:
    short_strong = "Xq9$vL2#p"  # nine characters, rated strong
    assert len(short_strong) < MIN_LENGTH
    assert estimate_strength(short_strong).score >= MIN_SCORE
    assert check_new_passphrase(short_strong).accepted


@pytest.mark.parametrize("weak", ["kx8!pq", "password", "a", "1234567890"])
def test_policy_refuses_short_and_weak_with_a_clear_reason(weak: str) -> None:
    result = check_new_passphrase(weak)
    assert isinstance(result, PolicyResult)
    assert not result.accepted and not bool(result)
    assert f"at least {MIN_LENGTH} characters" in result.reason and "fair or better" in result.reason
    assert f"has {len(weak)}" in result.reason
    assert result.estimate.label in result.reason


def test_policy_refuses_empty_and_whitespace() -> None:
    assert check_new_passphrase("").reason == "The passphrase is empty."
    assert check_new_passphrase(" " * 12).reason == "The passphrase is only spaces."


def test_policy_checks_the_confirmation() -> None:
    good = "correct horse battery staple"
    assert check_new_passphrase(good, good).accepted
    mismatch = check_new_passphrase(good, good + " ")
    assert not mismatch.accepted
    assert "confirmation does not match" in mismatch.reason
    # Strength problems are reported before a mismatch: fix the passphrase first.
    assert "Too weak" in check_new_passphrase("abc", "abd").reason


def test_repr_of_results_may_show_scores_but_the_caller_owns_the_secret() -> None:
    secret = "correct horse battery staple"
    result = check_new_passphrase(secret)
    assert secret not in repr(result)
    assert secret not in result.estimate.feedback
