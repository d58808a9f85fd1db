"""What a button carries back: a plain codec for callback payloads, the same on every messenger.

A payload comes back from the client and can be forged or stale, so it carries only ids and
short codes, and every handler reloads the complaint and checks the presser's rights.  The
strings are exactly those aiogram's ``CallbackData`` made before issue 13 (``c:t:123``,
``ca:123:roads``, ``l:open:t:roads:2``), so cards already in people's chats keep working.
A payload is at most 64 bytes (Telegram's limit, kept for MAX too, so one payload is valid
everywhere); anything that does not decode exactly, names an unknown act or an id past the
32-bit column decodes to ``None``: the button is "outdated", and nothing is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from storage.actions import Action

__all__ = [
    "ACT_ACTION",
    "MAX_COMPLAINT_ID",
    "MAX_PAYLOAD_BYTES",
    "Act",
    "AssignCb",
    "CallbackPayload",
    "ComplaintCb",
    "ListCb",
    "decode",
]

#: Telegram's limit on ``callback_data``, kept for every messenger.
MAX_PAYLOAD_BYTES = 64
#: The complaints id column is 32-bit: a forged bigger id is refused by the codec.
MAX_COMPLAINT_ID = 2**31 - 1
SEP = ":"


class Act(StrEnum):
    """One-letter codes keep payloads far below the 64 bytes."""

    TAKE = "t"
    ANSWERED = "a"
    RESOLVE = "r"
    DISMISS = "d"
    PICK = "p"  # open the agency picker
    BACK = "b"  # close the picker
    REOPEN = "o"
    SHOW = "s"  # send the full card (from a list or a summary)
    WAIT = "w"  # «Ждём ответа жителя»: stop the clock
    RESUME = "g"  # run the clock again


ACT_ACTION = {
    Act.TAKE: Action.TAKE,
    Act.ANSWERED: Action.ANSWERED,
    Act.RESOLVE: Action.RESOLVE,
    Act.DISMISS: Action.DISMISS,
    Act.PICK: Action.REASSIGN,
    Act.REOPEN: Action.REOPEN,
    Act.WAIT: Action.WAIT,
    Act.RESUME: Action.RESUME,
}

_ID = re.compile(r"[1-9][0-9]{0,9}")
_PAGE = re.compile(r"-?[0-9]{1,9}")


def _complaint_id(text: str) -> int | None:
    if _ID.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= MAX_COMPLAINT_ID else None


def _join(*parts: str) -> str:
    """``parts`` joined by ``:``; ``ValueError`` when a part holds the separator or the
    result is over 64 bytes (a bug in the caller, never sent)."""
    if any(SEP in part for part in parts[1:]):
        raise ValueError(f"a callback value may not contain {SEP!r}: {parts!r}")
    return _sized(SEP.join(parts))


def _sized(packed: str) -> str:
    if len(packed.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"callback payload over {MAX_PAYLOAD_BYTES} bytes: {packed!r}")
    return packed


def _split(data: str, prefix: str, fields: int) -> list[str] | None:
    if len(data.encode()) > MAX_PAYLOAD_BYTES:
        return None
    head, *parts = data.split(SEP)
    if head != prefix or len(parts) != fields:
        return None
    return parts


@dataclass(frozen=True, kw_only=True)
class ComplaintCb:
    """A card button: do ``act`` to complaint ``id`` (``c:<act>:<id>``)."""

    PREFIX: ClassVar[str] = "c"
    act: Act
    id: int

    def __post_init__(self) -> None:
        if not 1 <= self.id <= MAX_COMPLAINT_ID:
            raise ValueError(f"complaint id out of range: {self.id}")

    def pack(self) -> str:
        return _join(self.PREFIX, self.act.value, str(self.id))

    @classmethod
    def unpack(cls, data: str) -> ComplaintCb | None:
        parts = _split(data, cls.PREFIX, 2)
        if parts is None:
            return None
        cid = _complaint_id(parts[1])
        if cid is None or parts[0] not in Act._value2member_map_:
            return None
        return cls(act=Act(parts[0]), id=cid)


@dataclass(frozen=True, kw_only=True)
class AssignCb:
    """An agency picker button: reassign complaint ``id`` to ``agency`` (``ca:<id>:<agency>``)."""

    PREFIX: ClassVar[str] = "ca"
    id: int
    agency: str

    def __post_init__(self) -> None:
        if not 1 <= self.id <= MAX_COMPLAINT_ID:
            raise ValueError(f"complaint id out of range: {self.id}")

    def pack(self) -> str:
        return _join(self.PREFIX, str(self.id), self.agency)

    @classmethod
    def unpack(cls, data: str) -> AssignCb | None:
        parts = _split(data, cls.PREFIX, 2)
        if parts is None:
            return None
        cid = _complaint_id(parts[0])
        if cid is None:
            return None
        return cls(id=cid, agency=parts[1])


@dataclass(frozen=True, kw_only=True)
class ListCb:
    """A page of a list (``l:<kind>:<key>:<page>``); ``key`` is the list's filter (topic,
    page id or summary row id) and may itself hold one ``:`` (``t:roads``, ``p:123``)."""

    PREFIX: ClassVar[str] = "l"
    kind: str
    key: str
    page: int

    def pack(self) -> str:
        # aiogram's CallbackData refused a ':' in any value, so a filtered /open list could
        # not page at all; the key is the one field that may hold it (it sits between two
        # fields that never do), and every string aiogram made still decodes the same.
        if SEP in self.kind:
            raise ValueError(f"a list kind may not contain {SEP!r}: {self.kind!r}")
        return _sized(SEP.join((self.PREFIX, self.kind, self.key, str(self.page))))

    @classmethod
    def unpack(cls, data: str) -> ListCb | None:
        if len(data.encode()) > MAX_PAYLOAD_BYTES:
            return None
        head, *parts = data.split(SEP)
        if head != cls.PREFIX or len(parts) < 3 or _PAGE.fullmatch(parts[-1]) is None:
            return None
        return cls(kind=parts[0], key=SEP.join(parts[1:-1]), page=int(parts[-1]))


CallbackPayload = ComplaintCb | AssignCb | ListCb


def decode(data: str | None) -> CallbackPayload | None:
    """The payload a button carried, or ``None`` for anything Otklik did not put there."""
    if not data:
        return None
    for kind in (ComplaintCb, AssignCb, ListCb):
        found = kind.unpack(data)
        if found is not None:
            return found
    return None
