"""Just enough VKScript for ``execute``: the shapes real clients send, not a language.

Recognised programs (whitespace-insensitive, JSON literals parsed with the json module):

* ``return [API.m({...}), API.m2({...}), ...];`` and ``return API.m({...});`` — what
  ``VkRequestsPool`` sends for mixed methods and what hand-written batching usually is;
* ``var a = API.m({...}), b = API.m2({...}); return [a.items@.id, a.items@.comments, b];`` —
  variables holding call results, ``.field`` access and the ``@.field`` projection (an array
  of objects → the array of their ``field``), as real VKScript has (dev.vk.com/ru/method/execute:
  ``return API.users.get({...})@.first_name;``).  A failed call is ``false``; a field of
  anything that is not an object is ``null``, a projection of anything not an array ``null``;
* vk_api's ``vk_one_method`` loop (``VkRequestsPool`` with one method),
  ``vk_one_param`` loop (``vk_request_one_param_pool``) and ``vk_get_all_items`` loop
  (``VkTools.get_all``/``get_all_iter``), see vk-api.md §7.6.

Anything else is error 12 ("Unable to compile code").  Every ``API.*`` call goes through the
``invoke`` callback, which returns the inner result or ``False`` (recording execute_errors);
going over the call limit raises error 13 like the real runtime does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.fake_vk.errors import VKError

Invoke = Callable[[str, dict[str, Any]], Any]

_DECODER = json.JSONDecoder()
_PLACEHOLDER = re.compile(r"\{([JMK])\}")
_METHOD = re.compile(r"[A-Za-z]\w*(?:\.[A-Za-z]\w*)+")
_IDENT = re.compile(r"[A-Za-z_]\w*")

# vk_api 11.10.x templates (requests_pool.py, tools.py) minified the way VkFunction does it.
ONE_METHOD = (
    "var values = {J},i = 0,result = [];while(i < values.length) "
    "{result.push(API.{M}(values[i]));i = i + 1;}return result;"
)
ONE_PARAM = (
    "var def_values = {J},values = {J},result = [],i = 0;while(i < values.length) "
    "{def_values.{K} = values[i];result.push(API.{M}(def_values));i = i + 1;}return result;"
)
GET_ALL = (
    "var params = {J},calls = 0,items = [],count = {J},offset = {J},ri;while(calls < 25) "
    "{calls = calls + 1;params.offset = offset * {J};var response = API.{M}(params),"
    "new_count = response.count,count_diff = (count == null ? 0 : new_count - count);"
    'if (!response) {return {"_error": 1};}if (count_diff < 0) {offset = offset + count_diff;}'
    " else {ri = response.{K};items = items + ri.slice(count_diff);"
    "offset = offset + params.count + count_diff;if (ri.length < params.count) {calls = 99;}}"
    "count = new_count;if (count != null && offset >= count) {calls = 99;}};"
    "return {count: count,items: items,offset: offset,more: calls != 99};"
)


class _Cursor:
    """Whitespace-skipping reader over the code string."""

    __slots__ = ("code", "pos")

    def __init__(self, code: str) -> None:
        self.code = code
        self.pos = 0

    def skip_ws(self) -> None:
        code, pos = self.code, self.pos
        while pos < len(code) and code[pos].isspace():
            pos += 1
        self.pos = pos

    def literal(self, text: str) -> bool:
        for ch in text:
            if ch.isspace():
                continue
            self.skip_ws()
            if self.pos >= len(self.code) or self.code[self.pos] != ch:
                return False
            self.pos += 1
        return True

    def json(self) -> tuple[bool, Any]:
        self.skip_ws()
        try:
            value, self.pos = _DECODER.raw_decode(self.code, self.pos)
        except json.JSONDecodeError:
            return False, None
        return True, value

    def regex(self, pattern: re.Pattern[str]) -> str | None:
        self.skip_ws()
        m = pattern.match(self.code, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group(0)

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos == len(self.code)


def match_template(code: str, template: str) -> list[Any] | None:
    """Captured values of ``{J}``/``{M}``/``{K}`` placeholders if ``code`` fits ``template``."""
    cur = _Cursor(code)
    out: list[Any] = []
    for idx, part in enumerate(_PLACEHOLDER.split(template)):
        if idx % 2 == 0:
            if not cur.literal(part):
                return None
        elif part == "J":
            ok, value = cur.json()
            if not ok:
                return None
            out.append(value)
        else:
            token = cur.regex(_METHOD if part == "M" else _IDENT)
            if token is None:
                return None
            out.append(token)
    return out if cur.at_end() else None


@dataclass(slots=True)
class Program:
    """A parsed execute body: ``kind`` selects the interpreter, ``args`` its captures."""

    kind: str
    args: list[Any]


def _parse_call(cur: _Cursor) -> tuple[str, dict[str, Any]] | None:
    if not cur.literal("API."):
        return None
    method = cur.regex(_METHOD) or cur.regex(_IDENT)
    if method is None or not cur.literal("("):
        return None
    cur.skip_ws()
    params: Any = {}
    if cur.code.startswith(")", cur.pos):
        cur.pos += 1
        return method, params
    ok, params = cur.json()
    if not ok or not isinstance(params, dict) or not cur.literal(")"):
        return None
    return method, params


def parse(code: str) -> Program:
    """Parse ``code`` or raise VKError 12."""
    for kind, template in (
        ("one_method", ONE_METHOD),
        ("one_param", ONE_PARAM),
        ("get_all", GET_ALL),
    ):
        args = match_template(code, template)
        if args is not None:
            return Program(kind, args)
    cur = _Cursor(code)
    if cur.literal("return"):
        if cur.literal("["):
            calls = _parse_list(cur)
            if calls is not None and _end(cur):
                return Program("list", calls)
        else:
            call = _parse_call(cur)
            if call is not None and _end(cur):
                return Program("single", [call])
    script = _parse_script(code)
    if script is not None:
        return script
    raise VKError(12, "could not parse the code (the fake supports only simple call lists)")


def _parse_list(cur: _Cursor) -> list[tuple[str, dict[str, Any]]] | None:
    """Calls of ``[API.a({..}), API.b({..})]`` after the opening bracket."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if cur.literal("]"):
        return calls
    while True:
        call = _parse_call(cur)
        if call is None:
            return None
        calls.append(call)
        if cur.literal(","):
            continue
        return calls if cur.literal("]") else None


# Script AST: ("call", method, params) | ("var", name) | ("list", [expr]) | ("get", expr, field)
# | ("proj", expr, field).
Expr = tuple[Any, ...]


def _parse_expr(cur: _Cursor) -> Expr | None:
    expr: Expr | None
    cur.skip_ws()
    if cur.code.startswith("[", cur.pos):
        cur.pos += 1
        items: list[Expr] = []
        if not cur.literal("]"):
            while True:
                item = _parse_expr(cur)
                if item is None:
                    return None
                items.append(item)
                if cur.literal(","):
                    continue
                if not cur.literal("]"):
                    return None
                break
        expr = ("list", items)
    elif cur.code.startswith("API.", cur.pos):
        call = _parse_call(cur)
        if call is None:
            return None
        expr = ("call", call[0], call[1])
    else:
        name = cur.regex(_IDENT)
        if name is None or name in ("var", "return"):
            return None
        expr = ("var", name)
    while True:
        cur.skip_ws()
        if cur.code.startswith("@.", cur.pos):
            cur.pos += 2
            field = cur.regex(_IDENT)
            if field is None:
                return None
            expr = ("proj", expr, field)
        elif cur.code.startswith(".", cur.pos):
            cur.pos += 1
            field = cur.regex(_IDENT)
            if field is None:
                return None
            expr = ("get", expr, field)
        else:
            return expr


def _parse_script(code: str) -> Program | None:
    """``var x = <expr>, y = <expr>; ... return <expr>;`` with calls, lists and field access."""
    cur = _Cursor(code)
    stmts: list[tuple[str, Expr]] = []
    while True:
        cur.skip_ws()
        if (
            cur.code.startswith("var", cur.pos)
            and not cur.code[cur.pos + 3 : cur.pos + 4].isalnum()
        ):
            cur.pos += 3
            while True:
                name = cur.regex(_IDENT)
                if name is None or not cur.literal("="):
                    return None
                expr = _parse_expr(cur)
                if expr is None:
                    return None
                stmts.append((name, expr))
                if cur.literal(","):
                    continue
                break
            if not cur.literal(";"):
                return None
            continue
        break
    if not cur.literal("return"):
        return None
    result = _parse_expr(cur)
    if result is None or not _end(cur):
        return None
    return Program("script", [stmts, result])


def _eval(expr: Expr, env: dict[str, Any], call: Callable[[str, dict[str, Any]], Any]) -> Any:
    kind = expr[0]
    if kind == "call":
        return call(expr[1], dict(expr[2]))
    if kind == "var":
        if expr[1] not in env:
            raise VKError(13, f"{expr[1]} is not defined")
        return env[expr[1]]
    if kind == "list":
        return [_eval(e, env, call) for e in expr[1]]
    value = _eval(expr[1], env, call)
    if kind == "get":
        return value.get(expr[2]) if isinstance(value, dict) else None
    if not isinstance(value, list):
        return None
    return [v.get(expr[2]) if isinstance(v, dict) else None for v in value]


def _end(cur: _Cursor) -> bool:
    cur.skip_ws()
    if cur.code.startswith(";", cur.pos):
        cur.pos += 1
    return cur.at_end()


class _Budget:
    """Counts inner calls and fails the whole execute past ``limit`` (error 13)."""

    __slots__ = ("invoke", "limit", "used")

    def __init__(self, invoke: Invoke, limit: int) -> None:
        self.invoke = invoke
        self.limit = limit
        self.used = 0

    def __call__(self, method: str, params: dict[str, Any]) -> Any:
        self.used += 1
        if self.used > self.limit:
            raise VKError(13, f"too many API calls (limit {self.limit})")
        return self.invoke(method, params)


def run(program: Program, invoke: Invoke, *, max_calls: int = 25) -> Any:
    """Interpret ``program``; inner calls go to ``invoke`` (result or ``False``)."""
    call = _Budget(invoke, max_calls)
    kind, a = program.kind, program.args
    if kind == "list":
        return [call(m, p) for m, p in a]
    if kind == "single":
        method, params = a[0]
        return call(method, params)
    if kind == "one_method":
        values, method = a
        return [call(method, v if isinstance(v, dict) else {}) for v in _as_list(values)]
    if kind == "one_param":
        defaults, values, key, method = a
        base = defaults if isinstance(defaults, dict) else {}
        return [call(method, {**base, key: v}) for v in _as_list(values)]
    if kind == "get_all":
        return _get_all(call, *a)
    if kind == "script":
        stmts, result = a
        env: dict[str, Any] = {}
        for name, expr in stmts:
            env[name] = _eval(expr, env, call)
        return _eval(result, env, call)
    raise VKError(12)


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise VKError(13, "values is not an array")
    return value


def _get_all(
    call: _Budget, params: Any, count: Any, offset: Any, mul: Any, method: str, key: str
) -> Any:
    """Python port of vk_api's ``vk_get_all_items`` VKScript loop (tools.py)."""
    if not isinstance(params, dict) or not isinstance(offset, int) or not isinstance(mul, int):
        raise VKError(13, "bad arguments")
    page = params.get("count")
    if not isinstance(page, int):
        raise VKError(13, "params.count is not a number")
    items: list[Any] = []
    calls = 0
    while calls < 25:
        calls += 1
        params["offset"] = offset * mul
        response = call(method, dict(params))
        if response is False or not isinstance(response, dict):
            return {"_error": 1}
        new_count = response.get("count")
        count_diff = 0 if count is None else (new_count or 0) - count
        if count_diff < 0:
            offset += count_diff
        else:
            ri = response.get(key)
            if not isinstance(ri, list):
                raise VKError(13, f"response.{key} is not an array")
            items.extend(ri[count_diff:])
            offset += page + count_diff
            if len(ri) < page:
                calls = 99
        count = new_count
        if count is not None and offset >= count:
            calls = 99
    return {"count": count, "items": items, "offset": offset, "more": calls != 99}
