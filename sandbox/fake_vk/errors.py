"""VK error codes and messages the fake returns.

Messages follow VKCOM/vk-api-schema ``errors.json`` (see shared/docs/vk-api.md §4.2) so that
``str(vk_api.ApiError)`` in logs looks like the real thing.  Codes the real API is vague about
(deleted or unknown posts) are chosen here once and documented in the package docstring.
"""

from __future__ import annotations

from typing import Any

ERROR_MESSAGES: dict[int, str] = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed",
    6: "Too many requests per second",
    8: "Invalid request",
    9: "Flood control",
    10: "Internal server error",
    12: "Unable to compile code",
    13: "Runtime error occurred during code invocation",
    14: "Captcha needed",
    15: "Access denied",
    18: "User was deleted or banned",
    27: "Group authorization failed: method is unavailable with group auth.",
    28: "Application authorization failed: method is unavailable with service token.",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    113: "Invalid user id",
    210: "Access to wall's post denied",
    211: "Access to wall's comment denied",
    212: "Access to post comments denied",
    213: "Access to status replies denied",
    222: "Hyperlinks are forbidden",
    223: "Too many replies",
}


def error_message(code: int, detail: str | None = None) -> str:
    """The VK-style message for ``code``, optionally with a ``: detail`` suffix."""
    base = ERROR_MESSAGES.get(code, f"Error {code}")
    return f"{base}: {detail}" if detail else base


class VKError(Exception):
    """A VK API error raised by a method handler and turned into an ``{"error": ...}`` body.

    ``extra`` carries additional top-level fields of the error object (captcha_sid etc.).
    """

    def __init__(self, code: int, detail: str | None = None, **extra: Any) -> None:
        self.code = code
        self.msg = error_message(code, detail)
        self.extra = extra
        super().__init__(f"[{code}] {self.msg}")
