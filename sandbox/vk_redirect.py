"""A ``requests.Session`` that sends vk_api's hard-coded API URLs to another base URL.

vk_api 11.x has no setting for the API host (the URL is an f-string in ``VkApi.method``) and
sets no timeout at all, so the app passes this session to ``VkApi(session=...)``: in the
sandbox it points at the fake server, and in production (``base_url=None``) it only adds the
default timeout so a hung connection cannot block a worker thread forever.
"""

from __future__ import annotations

from typing import Any

import requests

VK_API_PREFIXES = ("https://api.vk.ru/", "https://api.vk.com/")


class RedirectSession(requests.Session):
    """Rewrites ``https://api.vk.ru/`` and ``https://api.vk.com/`` to ``base_url``.

    ``timeout`` (seconds, or a ``(connect, read)`` tuple) applies to every request that does
    not pass its own.
    """

    def __init__(
        self, base_url: str | None = None, timeout: float | tuple[float, float] = 30.0
    ) -> None:
        super().__init__()
        if base_url is not None and not base_url.endswith("/"):
            base_url += "/"
        self.base_url = base_url
        self.timeout = timeout

    def rewrite(self, url: str) -> str:
        """``url`` with a VK API prefix replaced by the base URL (others unchanged)."""
        if self.base_url is None:
            return url
        for prefix in VK_API_PREFIXES:
            if url.startswith(prefix):
                return self.base_url + url[len(prefix) :]
        return url

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if isinstance(url, bytes):
            url = url.decode()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, self.rewrite(url), *args, **kwargs)
