"""The MAX adapter (issue 13): the real ``maxapi`` client behind Otklik's neutral types.

* ``client``: the maxapi ``Bot`` (its own retries off, no extra requests per event, the CA
  bundle and API host from settings) and the connector Otklik closes;
* ``pacer``: MAX's limits (2 messages a second per chat, 30 requests a second per bot) kept
  on every request as an aiohttp client middleware;
* ``markup``: a neutral :class:`~bot.core.types.Card` as ``format: html`` text and an inline
  keyboard within MAX's limits;
* ``port``: :class:`~bot.max.port.MaxPort`, the ``MessengerPort`` the outbox sends through
  (every maxapi exception classified; a lost answer settled through ``GET /messages``);
* ``updates``: MAX updates as neutral inbound events (``bot.core.inbound``), handed over once;
* ``webhook`` / ``polling``: the two ways updates arrive, feeding the same callback;
* ``conversation``: answering an event where it came from (the core's ``Conversation``);
* ``dialogs``: each person's dialog chat id and the long poll's marker, kept in ``kv``
  across restarts;
* ``runtime``: all of it started from settings (the app: ``bot/app.py``); ``check``:
  ``otklik check``'s MAX lines.
"""
