"""Errors as a user reads them: one sentence of what happened plus the next
step, never raw log fields.

``describe(exc)`` is the one place that turns our typed errors and plugin
start failures into text for message boxes, banners and the status bar.
A launch error's text holds the plugin's stderr, often hclog JSON lines
(``{"@level":"error","@message":...}``); only their ``@message`` of the most
severe level is kept, the raw lines stay in the plugin log view.
"""

from __future__ import annotations

import json
import re

from zhi_gui.core import errors as E

_STDERR_MARK = "\n--- plugin stderr ---\n"
_LEVEL_RANK = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "warning": 3, "error": 4}
_SEE_LOG = "The plugin log view has the full output."


# A first word holding one of these is a name (a path, a key, a tree id), never capitalised:
# paths are case-sensitive, and "Svc000 holds values" named a key the tree does not have.
_NAME_CHARS = re.compile(r"[/._\-0-9]")


def _sentence(text: str, *, name_first: bool = False) -> str:
    """``text`` as a sentence: capitalised (unless it starts with a name) and ended."""
    text = " ".join(text.split()).strip()
    if not text:
        return ""
    if not name_first and not _NAME_CHARS.search(text.split(None, 1)[0]):
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _path_of(exc: BaseException) -> str:
    path = exc.details.get("path", "") if isinstance(exc, E.StoreError) else ""
    return path or str(getattr(exc, "path", "") or "")


def plugin_messages(stderr: str) -> list[str]:
    """The messages of the most severe hclog lines in ``stderr`` (JSON or
    ``[ERROR]`` text lines), oldest first; plain lines when there is nothing else."""
    best_rank = -1
    best: list[str] = []
    plain: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line:
            continue
        level, message = "", ""
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                data = None
            if isinstance(data, dict):
                level = str(data.get("@level", "")).lower()
                message = str(data.get("@message", ""))
        if not level:
            match = re.match(r"^(?:\S+\s+)?\[(TRACE|DEBUG|INFO|WARN|WARNING|ERR|ERROR)\]\s*(.*)$", line, re.I)
            if match:
                level = {"err": "error"}.get(match.group(1).lower(), match.group(1).lower())
                message = match.group(2)
        if not level:
            plain.append(line)
            continue
        rank = _LEVEL_RANK.get(level, 1)
        if rank > best_rank:
            best_rank, best = rank, []
        if rank == best_rank and message:
            best.append(message)
    if best_rank >= _LEVEL_RANK["warn"] and best:
        return best
    return best or plain


def _strip_prefix(message: str) -> str:
    # The plugin server logs "cannot start the store: <reason>"; the reason is the news.
    for prefix in ("cannot start the store: ",):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def describe(exc: BaseException) -> str:
    """One or two sentences for a user: what happened, then what to do next."""
    if isinstance(exc, E.LaunchError):
        return _describe_launch(exc)
    message = exc.message if isinstance(exc, E.StoreError) else str(exc)
    path = _path_of(exc)
    what = _sentence(message, name_first=bool(path) and message.startswith(path)) or _sentence(type(exc).__name__)
    next_step = _next_step(exc)
    return f"{what} {next_step}".strip()


def _next_step(exc: BaseException) -> str:
    steps: list[tuple[type[BaseException], str]] = [
        (E.StoreMissing, "Check the store location, or confirm to create a new empty store there."),
        (E.DataLoss, "The other values can still be read; run Store > Check store, and recover the "
                     "readable data into a new file."),
        (E.StoreCorrupt, "The file was not changed; run Store > Check store, or restore it from a backup."),
        (E.CASConflict, "Someone else changed it meanwhile: reload, then apply your change again."),
        (E.WrongPassphrase, "Enter the passphrase again; nothing was changed."),
        (E.StoreLocked, "Unlock the store with its passphrase."),
        (E.AuthRequired, "Log in to the store."),
        (E.AccessDenied, "Ask the store's administrator for access."),
        (E.NotFound, "Reload the tree: it may have been changed elsewhere."),
        (E.Unsupported, "This store does not offer that feature."),
        (E.InvalidArgument, "Correct the input and try again; nothing was changed."),
        (E.EncryptionNotInitialised, "Set up encryption for this store first."),
        (E.PluginTimeout, "The plugin did not answer in time; try again, or restart the plugin if it "
                          "keeps happening."),
        (E.PluginUnavailable, "Restart the plugin; if it keeps stopping, check its log."),
        # (a write that timed out may still land on the server: no promise that nothing changed)
        (E.BackendUnavailable, "Check that the store's server runs and the store's options name it "
                               "(endpoints, TLS files), then try again; staged edits are kept."),
        (E.ManifestError, "Fix the plugin's zhi-plugin.yaml or choose another plugin."),
    ]
    for cls, step in steps:
        if isinstance(exc, cls):
            return step
    return "Try again; if it keeps failing, check the plugin log."


def _describe_launch(exc: E.LaunchError) -> str:
    text = str(exc)
    head = text.split(_STDERR_MARK, 1)[0]
    status = f" (exit status {exc.exit_status})" if exc.exit_status is not None else ""
    if status and head.endswith(status):
        head = head[: -len(status)]
    messages = [_strip_prefix(m) for m in plugin_messages(exc.stderr_tail)]
    if isinstance(exc, E.AuditError):
        return (f"{_sentence(head)} The plugin was not started. Check the plugin binary, or accept its "
                "new digest in the plugin settings if you updated it.")
    if messages:
        reason = _sentence(messages[-1])
        return (f"The store plugin could not start: {reason[0].lower() + reason[1:]} "
                "Fix the store's location or options and open the store again. " + _SEE_LOG)
    lowered = head.lower()
    if "no handshake" in lowered:
        return (f"{_sentence(head.split(' (', 1)[0])} Check that the file is a zhi store plugin; "
                "open the store again to retry. " + _SEE_LOG)
    return f"{_sentence(head)} Check the plugin and its options, then open the store again. {_SEE_LOG}"


def describe_detail(detail: str) -> str:
    """A supervisor's state detail (which may end in the plugin's stderr) without raw log
    fields: the plugin's own last message when it has one, else the first line."""
    head, _, stderr = detail.partition(_STDERR_MARK.strip("\n"))
    messages = plugin_messages(stderr) if stderr.strip() else []
    text = (messages[-1] if messages else head.strip().splitlines()[0]) if detail.strip() else "no reason given"
    return text if len(text) <= 200 else text[:200] + "\u2026"
