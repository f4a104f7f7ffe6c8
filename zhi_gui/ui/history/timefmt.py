"""Version times for people: "5 min ago" in a list, the exact local time in a tooltip.

Stores send RFC 3339 UTC (``2026-11-22T10:04:05.123456Z``). Qt-free.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(text: str) -> datetime | None:
    """An aware datetime, or None when the store sent nothing usable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def relative_time(when: datetime, now: datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``yesterday``, ``4 days ago``, then a date."""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < -60:  # a clock ahead of ours: say when, not "in the future"
        return exact_time(when, seconds=False)
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = round(seconds / 3600)
    if hours < 24:
        return f"{hours} h ago"
    local, local_now = when.astimezone(), now.astimezone()
    days = (local_now.date() - local.date()).days
    if days <= 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if local.year == local_now.year:
        return local.strftime("%d %b")
    return local.strftime("%d %b %Y")


def exact_time(when: datetime, *, seconds: bool = True) -> str:
    """Local time with its UTC offset, e.g. ``2026-11-22 11:04:05 (UTC+01:00)``."""
    local = when.astimezone()
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "local"
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" ({zone})"


def describe_time(text: str, now: datetime | None = None) -> tuple[str, str]:
    """(short, tooltip) for a version's time; ('', '') when unknown."""
    when = parse_time(text)
    if when is None:
        return (text, text) if text else ("", "")
    return relative_time(when, now), exact_time(when)
