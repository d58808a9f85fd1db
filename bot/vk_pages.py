"""Find a VK community by a screen name, for /addpage (utils.resolveScreenName, groups.getById)."""

from __future__ import annotations

from typing import Any

from collectors.vk_client import VkClient, VkError
from handlers.common import PageResolveError, PageResolver, ResolvedPage

__all__ = ["make_page_resolver"]


def make_page_resolver(client: VkClient) -> PageResolver:
    """A resolver over the app's own VK client (its pacing and retries apply)."""

    async def resolve(ref: str) -> ResolvedPage | None:
        try:
            if ref.lstrip("-").isdigit():
                group_id = abs(int(ref))
            else:
                found: Any = await client.call("utils.resolveScreenName", {"screen_name": ref})
                if not isinstance(found, dict) or found.get("type") not in (
                    "group",
                    "page",
                    "event",
                ):
                    return None
                group_id = int(found["object_id"])
            got: Any = await client.call("groups.getById", {"group_id": group_id})
        except VkError as exc:
            if exc.is_object_error:
                return None
            raise PageResolveError(str(exc)) from exc
        groups = got.get("groups", []) if isinstance(got, dict) else got
        if not groups:
            return None
        g = groups[0]
        return ResolvedPage(int(g["id"]), str(g.get("name", ref)), g.get("screen_name"))

    return resolve
