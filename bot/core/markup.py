"""The HTML subset every card is written in, and the check that a card keeps to it.

Cards use ``<b>``, ``<i>`` and ``<a href="…">`` around escaped text, nothing else: that
string is valid Telegram HTML and valid MAX ``format: html``, and both show the same plain
text with the same spans (``tests/test_fake_max.py``).  Residents' words are escaped by the
renderers (``html.escape``); :func:`problems` finds a card that broke the rule (an unknown
or unclosed tag, a stray ``&`` or ``<``), :func:`fits` one over a messenger's limits.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from bot.core.capabilities import CAPABILITIES, Capabilities
from bot.core.types import Card, Keyboard

__all__ = ["ALLOWED_TAGS", "fits", "fitted", "plain_text", "problems", "shorten", "text_length"]

ALLOWED_TAGS = frozenset({"b", "i", "a"})
#: Entities a card may carry: what ``html.escape`` writes, and numeric ones.
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x27|#39|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> is outside the subset")
            return
        names = [name for name, _ in attrs]
        if tag == "a":
            href = dict(attrs).get("href")
            if names != ["href"] or not href:
                self.errors.append("<a> takes exactly one non-empty href")
        elif names:
            self.errors.append(f"<{tag}> takes no attributes")
        if tag in self.open:
            self.errors.append(f"<{tag}> inside <{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/> is outside the subset")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes nothing open")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self.errors.append("a comment is outside the subset")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("a declaration is outside the subset")

    def handle_pi(self, data: str) -> None:
        self.errors.append("a processing instruction is outside the subset")


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def plain_text(html: str) -> str:
    """What a person reads: tags dropped, entities decoded (as both messengers show it)."""
    return "".join(_read(html).parts)


def problems(html: str) -> list[str]:
    """Why ``html`` is not in the subset (empty when it is)."""
    reader = _read(html)
    errors = list(reader.errors)
    errors += [f"<{tag}> is never closed" for tag in reader.open]
    # A bare '&' or '<' is escaped text gone wrong: Telegram refuses it, MAX may eat it.
    outside_tags = re.sub(r"<[^<>]*>", "", html)
    for match in re.finditer(r"&", outside_tags):
        if _ENTITY.match(outside_tags, match.start()) is None:
            errors.append(f"unescaped '&' at {match.start()}")
            break
    if "<" in outside_tags or ">" in outside_tags:
        errors.append("unescaped '<' or '>' in the text")
    return errors


def text_length(html: str, caps: Capabilities) -> int:
    """``html``'s length as the messenger counts it against its limit."""
    if caps.text_counted == "html":
        return len(html)
    return len(plain_text(html).encode("utf-16-le")) // 2


def _keyboard_problems(keyboard: Keyboard, caps: Capabilities) -> list[str]:
    errors: list[str] = []
    buttons = keyboard.buttons()
    if len(buttons) > caps.buttons_total:
        errors.append(f"{len(buttons)} buttons, {caps.channel} allows {caps.buttons_total}")
    if len(keyboard.rows) > caps.rows_max:
        errors.append(f"{len(keyboard.rows)} rows, {caps.channel} allows {caps.rows_max}")
    for row in keyboard.rows:
        if len(row) > caps.buttons_per_row:
            errors.append(f"a row of {len(row)}, {caps.channel} allows {caps.buttons_per_row}")
        links = sum(b.url is not None for b in row)
        if links > caps.links_per_row:
            errors.append(f"{links} links in a row, {caps.channel} allows {caps.links_per_row}")
    for button in buttons:
        if not 1 <= len(button.text) <= caps.button_text_max:
            errors.append(f"button text of {len(button.text)} characters")
        if button.payload is not None and len(button.payload.encode()) > caps.payload_bytes:
            errors.append(f"payload of {len(button.payload.encode())} bytes")
    return errors


def fits(card: Card, caps: Capabilities | None = None) -> list[str]:
    """Why ``card`` would be refused (by ``caps``' messenger, or by any when ``None``):
    markup outside the subset, a text or keyboard over the limits.  Empty when it fits."""
    errors = problems(card.html)
    for each in [caps] if caps is not None else list(CAPABILITIES.values()):
        limit = each.caption_limit if card.media is not None else each.text_limit
        length = text_length(card.html, each)
        if length > limit:
            errors.append(f"text of {length} characters, {each.channel} allows {limit}")
        if card.keyboard is not None:
            errors += _keyboard_problems(card.keyboard, each)
    return errors


_TOKEN = re.compile(r"(<[^<>]*>)")
_ENTITY_AT_END = re.compile(r"&[#a-zA-Z0-9]{0,8}$")
ELLIPSIS = "…"


def _cut(run: str, keep: int) -> str:
    """The first ``keep`` characters of a text run, never splitting an entity, plus «…»."""
    head = run[: max(keep, 0)]
    head = _ENTITY_AT_END.sub("", head)  # a half entity would be a bare '&'
    return head.rstrip() + ELLIPSIS


def shorten(html: str, limit: int, caps: Capabilities) -> str:
    """``html`` within ``limit`` as ``caps`` counts it: the longest runs of text are cut
    (each ending in «…»), tags are kept, so the markup stays balanced and in the subset.

    Renderers cut residents' words by characters; escaped, a comment full of ``&`` or
    quotes grows up to sixfold, and MAX counts the HTML as sent.  This is the last word."""
    if text_length(html, caps) <= limit:
        return html
    parts = _TOKEN.split(html)
    while text_length("".join(parts), caps) > limit:
        runs = [i for i in range(0, len(parts), 2) if len(parts[i]) > 1]
        if not runs:
            break
        longest = max(runs, key=lambda i: len(parts[i]))
        over = text_length("".join(parts), caps) - limit
        run = parts[longest]
        keep = max(len(run) - over - len(ELLIPSIS), len(run) // 2)
        shorter = _cut(run, keep)
        if len(shorter) >= len(run):
            shorter = _cut(run, len(run) // 2)
        if len(shorter) >= len(run):
            break
        parts[longest] = shorter
    return "".join(parts)


def fitted(card: Card, caps: Capabilities) -> Card:
    """``card`` with its text within ``caps``' limit (the same card when it fits)."""
    limit = caps.caption_limit if card.media is not None else caps.text_limit
    html = shorten(card.html, limit, caps)
    return card if html == card.html else replace(card, html=html)
