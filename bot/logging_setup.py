"""Structured logs with secrets masked.

Why mask in the formatter rather than trust each call site: tokens reach logs by accident —
in an exception's message (a URL with ``access_token=``, aiohttp's request line with the bot
token in the path), in a traceback, in a third-party library's debug line.  Masking the final
text catches all of them, whatever logger produced the record.

Personal data (comment texts, authors' names) is kept out at the source: our log calls name
ids, never texts, and the engine hides SQL parameters in error messages
(``storage/db.py``), so a failed INSERT does not print a resident's comment.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

#: (pattern, replacement), applied in order to every formatted line.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot tokens: 123456789:AA… (35 characters after the colon).
    (re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}"), "[bot-token]"),
    # ``access_token=…`` in URLs, form bodies and reprs (any token kind).
    (re.compile(r"(access_token[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+", re.I), r"\1[redacted]"),
    # VK user/community/service tokens of the current format.
    (re.compile(r"\bvk1\.a\.[A-Za-z0-9_\-.]+"), "[vk-token]"),
    # Legacy VK tokens: 64-85 hex characters.
    (re.compile(r"\b[0-9a-f]{64,90}\b"), "[token]"),
    # Bearer headers.
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._\-+/=]{16,}", re.I), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a token replaced by a placeholder."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingTextFormatter(logging.Formatter):
    """``time level logger: message`` with tokens masked (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, ``exc`` and any
    ``extra={...}`` fields, with tokens masked."""

    _STANDARD = frozenset(
        logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
        | {"message", "asctime", "taskName"}
    )

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(out, ensure_ascii=False))


def setup_logging(
    level: str | int = "INFO",
    fmt: Literal["json", "text"] = "text",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route every logger to one handler on ``stream`` (stderr) in ``fmt``; returns it.

    Replaces the root logger's handlers, so calling it twice does not double lines.  Noisy
    libraries stay at WARNING: aiogram's per-update INFO lines carry nothing an operator
    needs, and SQLAlchemy's INFO is the SQL with its parameters (personal data)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingTextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("aiogram.event", "sqlalchemy.engine", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


__all__ = ["JsonFormatter", "RedactingTextFormatter", "redact", "setup_logging"]
