"""aiogram filters over the neutral callback codec (``bot/core/callbacks.py``).

``on(ComplaintCb)`` matches a press whose payload decodes to a ``ComplaintCb`` and hands it
to the handler as ``callback_data``, as aiogram's ``CallbackData.filter()`` did; a payload
that does not decode (forged, stale, oversized) matches nothing and reaches the fallback,
which says the button is outdated.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeVar

from aiogram.filters import Filter
from aiogram.types import CallbackQuery

__all__ = ["PayloadFilter", "on"]

P = TypeVar("P", covariant=True)


class _Codec(Protocol[P]):
    @classmethod
    def unpack(cls, data: str) -> P | None: ...


class PayloadFilter(Filter):
    """Matches presses whose payload ``kind.unpack`` accepts."""

    def __init__(self, kind: type[_Codec[Any]]) -> None:
        self.kind = kind

    def __str__(self) -> str:
        return f"PayloadFilter({self.kind.__name__})"

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        found = self.kind.unpack(query.data)
        return False if found is None else {"callback_data": found}


def on(kind: type[_Codec[Any]]) -> PayloadFilter:
    """The filter for one payload type, e.g. ``router.callback_query(on(ComplaintCb))``."""
    return PayloadFilter(kind)
