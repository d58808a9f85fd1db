"""A neutral :class:`~bot.core.types.Card` in MAX's terms: ``format: html`` text and an
``inline_keyboard`` attachment within MAX's limits.

The core's cards use only ``<b>``, ``<i>`` and ``<a href>`` with escaped text, which MAX's
HTML reads exactly as Telegram's (``tests/test_fake_max.py``), so the text goes as it is.
MAX's keyboard limits differ from Telegram's: at most 7 buttons a row, 3 of them links, 30
rows and 210 buttons.  A row over a limit is split in order (a core keyboard laid out for
Telegram's 8 a row still fits); a keyboard over 30 rows or 210 buttons is refused with
``ValueError`` rather than cut, so a card never loses a button silently.
"""

from __future__ import annotations

from html.parser import HTMLParser

from maxapi.enums.attachment import AttachmentType
from maxapi.types.attachments.attachment import ButtonsPayload
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton
from maxapi.types.attachments.buttons.callback_button import CallbackButton
from maxapi.types.attachments.buttons.link_button import LinkButton

from bot.core.types import Button, Card, Keyboard

__all__ = [
    "MAX_BUTTONS",
    "MAX_ROWS",
    "MAX_ROW_BUTTONS",
    "MAX_ROW_LINKS",
    "MAX_TEXT",
    "check_text",
    "keyboard_attachment",
    "keyboard_rows",
    "plain_text",
]

#: maxapi refuses a text of 4000 characters and more (the schema allows 4000).
MAX_TEXT = 3999
MAX_ROW_BUTTONS = 7
MAX_ROW_LINKS = 3
MAX_ROWS = 30
MAX_BUTTONS = 210
#: ``Button.text``: 1 to 128 characters.
MAX_BUTTON_TEXT = 128


def keyboard_rows(keyboard: Keyboard) -> list[list[Button]]:
    """The keyboard's rows, each split in order where it holds more than 7 buttons or more
    than 3 links; ``ValueError`` when the result exceeds 30 rows or 210 buttons."""
    rows: list[list[Button]] = []
    for row in keyboard.rows:
        current: list[Button] = []
        links = 0
        for button in row:
            is_link = button.url is not None
            if len(current) == MAX_ROW_BUTTONS or (is_link and links == MAX_ROW_LINKS):
                rows.append(current)
                current, links = [], 0
            current.append(button)
            links += is_link
        if current:
            rows.append(current)
    total = sum(len(row) for row in rows)
    if len(rows) > MAX_ROWS or total > MAX_BUTTONS:
        raise ValueError(
            f"a MAX keyboard holds at most {MAX_ROWS} rows and {MAX_BUTTONS} buttons "
            f"(this one: {len(rows)} rows, {total} buttons)"
        )
    return rows


def _button(button: Button) -> CallbackButton | LinkButton:
    text = button.text[:MAX_BUTTON_TEXT] or "·"
    if button.url is not None:
        return LinkButton(text=text, url=button.url)
    return CallbackButton(text=text, payload=button.payload)


def keyboard_attachment(keyboard: Keyboard) -> AttachmentButton:
    """The ``inline_keyboard`` attachment for ``keyboard`` (see :func:`keyboard_rows`)."""
    rows = [[_button(b) for b in row] for row in keyboard_rows(keyboard)]
    return AttachmentButton(
        type=AttachmentType.INLINE_KEYBOARD,
        payload=ButtonsPayload(buttons=rows),
        bot=None,
    )


def check_text(card: Card) -> str:
    """The card's text as sent (``format: html``); ``ValueError`` when MAX would refuse it."""
    if len(card.html) > MAX_TEXT:
        raise ValueError(f"a MAX message is at most {MAX_TEXT} characters ({len(card.html)})")
    return card.html


class _Plain(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text MAX shows (and lists in ``GET /messages``) for ``format: html`` text: every
    tag stripped, entities decoded.  How a lost send is recognised in the dialog."""
    parser = _Plain()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
