"""hclog, the log format go-plugin hosts read from a plugin's stderr.

Plugin side: ``HclogJsonFormatter`` writes one JSON object per line with
string-only ``@level``/``@message``/``@timestamp`` (a non-string there crashes
go-plugin's Go host) and a timestamp with exactly six fractional digits.
Host side: ``parse_line`` turns a stderr line, JSON or text, into a LogLine.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("trace", "debug", "info", "warn", "error")
_PY_TO_HCLOG = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "error",
}
_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def hclog_timestamp(when: float | None = None) -> str:
    """``when`` (seconds since the epoch; default now) in UTC with six fractional digits.
    With ``time``, not ``datetime``: a plugin imports this before its handshake (~2 ms)."""
    when = time.time() if when is None else when
    seconds = int(when // 1)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int((when - seconds) * 1e6):06d}Z"


def _level_name(levelno: int) -> str:
    if levelno < logging.DEBUG:
        return "trace"
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= threshold:
            return _PY_TO_HCLOG[threshold]
    return "debug"


class HclogJsonFormatter(logging.Formatter):
    """Extra fields (``logger.info("x", extra={"tree": t})``) become string keys."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        out: dict[str, str] = {
            "@level": _level_name(record.levelno),
            "@message": str(message),
            "@timestamp": hclog_timestamp(record.created),
            "@module": str(record.name),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and not key.startswith("_") and key not in out:
                out[key] = value if isinstance(value, str) else repr(value)
        return json.dumps(out, ensure_ascii=False)


def setup_plugin_logging(name: str, level: int = logging.INFO) -> logging.Logger:
    """Route the root logger to stderr as hclog JSON; returns the plugin's logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HclogJsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return logging.getLogger(name)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One stderr line of a plugin, as the log view shows it."""

    level: str  # trace|debug|info|warn|error
    message: str
    timestamp: str = ""
    module: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    is_json: bool = False


_TEXT_LEVEL = re.compile(r"\[(TRACE|DEBUG|INFO|WARN|WARNING|ERR|ERROR)\]\s*", re.I)


def parse_line(raw: str, default_level: str = "debug") -> LogLine:
    line = raw.rstrip("\r\n")
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            data: Any = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            level = str(data.pop("@level", default_level)).lower()
            return LogLine(
                level=level if level in LEVELS else default_level,
                message=str(data.pop("@message", "")),
                timestamp=str(data.pop("@timestamp", "")),
                module=str(data.pop("@module", "")),
                fields={str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()},
                raw=line,
                is_json=True,
            )
    match = _TEXT_LEVEL.search(line[:80])
    if match:
        word = match.group(1).lower()
        level = {"warning": "warn", "err": "error"}.get(word, word)
        return LogLine(level=level, message=line[match.end():], raw=line)
    return LogLine(level=default_level, message=line, raw=line)
