"""Issue 14: the command line for a person.

``otklik status`` in Russian, local time, human durations, a lag past the threshold marked,
``--json`` for machines; every command and option with help and an example; the demo's
summary counts what it printed and ends with the next steps.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Agency, CollectorPage, Page

pytestmark = pytest.mark.usefixtures("clean_env")  # a fresh directory, no OTKLIK settings


def _database(path: Path) -> str:
    """Four pages: checked a minute ago, ten days ago, never, and unreachable."""
    url = f"sqlite+aiosqlite:///{path}"
    now = datetime.now(UTC)

    async def fill() -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine)
            async with make_session_factory(engine)() as s, s.begin():
                s.add(Agency(id="nsk", name="Мэрия Новосибирска", tz="Asia/Novosibirsk"))
                await s.flush()
                s.add_all(
                    [
                        Page(group_id=1, name="Мэрия", agency_id="nsk", last_checked_at=now),
                        Page(
                            group_id=2,
                            name="Транспорт",
                            agency_id="nsk",
                            last_checked_at=now - timedelta(days=10, hours=2),
                        ),
                        Page(group_id=3, name="Новая", agency_id="nsk"),
                        Page(
                            group_id=4,
                            name="Закрытая",
                            agency_id="nsk",
                            unreachable_reason="сообщество закрыто",
                        ),
                    ]
                )
                s.add(
                    CollectorPage(
                        group_id=1,
                        watched_posts=12,
                        wall_get_calls=3,
                        api_calls=40,
                        updated_at=now,
                    )
                )
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return url


def test_status_reads_as_russian_in_local_time_with_lag_marked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK__DB__URL", _database(tmp_path / "o.db"))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Охват ВКонтакте на ") and "(Asia/Novosibirsk, UTC+7)" in lines[0]
    assert lines[1] == "⚠ Требуют внимания: 3 (сверху)"
    assert "после 15 мин" in lines[2]
    pages = [line for line in lines if "(id " in line]
    # What needs attention first: the 10-day lag is marked, not called «ok».
    assert [p[:1] for p in pages] == ["⚠", "⚠", "⚠", "✓"]
    lagging = next(p for p in pages if "Транспорт" in p)
    assert "отстаёт на 10 дн 2 ч" in lagging
    assert any("Новая (id 3): ещё ни разу не проверялась" in p for p in pages)
    assert any("Закрытая (id 4): недоступна: сообщество закрыто" in p for p in pages)
    fine = pages[-1]
    assert fine.startswith("✓ Мэрия (id 1): проверена ") and "постов под наблюдением 12" in fine
    assert re.search(r"проверена \d\d\.\d\d \d\d:\d\d", fine), fine
    # No English, no raw seconds, no UTC timestamps.
    for word in ("coverage", "never", " ok", "UTC)", "lag"):
        assert word not in out, word
    assert not re.search(r"\d+s\b", out)


def test_status_json_for_machines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK__DB__URL", _database(tmp_path / "o.db"))
    assert main(["status", "--json", "--tz", "Europe/Moscow"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tz"] == "Europe/Moscow" and data["threshold_s"] == 900
    states = {p["group_id"]: p["state"] for p in data["pages"]}
    assert states == {1: "ok", 2: "lagging", 3: "never", 4: "unreachable"}
    lag = next(p["lag_s"] for p in data["pages"] if p["group_id"] == 2)
    assert 10 * 86400 < lag < 11 * 86400
    assert main(["status", "--tz", "Mars/Olympus"]) == 2
    assert "no such time zone" in capsys.readouterr().err


def test_every_command_and_option_has_help_with_an_example() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(commands.choices, dict)
    names = sorted(commands.choices)
    assert len(names) >= 11
    for name, sub in commands.choices.items():
        assert sub.epilog and sub.epilog.startswith("example:\n  "), name
        assert f"otklik {name}" in sub.epilog, name
        assert "``" not in (sub.description or "") + sub.epilog, name  # no reST markup
        for action in sub._actions:
            if action.dest in ("help", "debug") or action.help is None:
                continue
            assert action.help.strip(), (name, action.dest)
            if action.option_strings and action.nargs != 0:
                assert "e.g." in action.help, (name, action.dest)


DEMO = """\
start: 2026-11-23T08:00:00+03:00
end: 2026-11-23T08:40:00+03:00
agencies:
  - {id: city, name: Администрация, tz: Europe/Moscow}
pages:
  - {group_id: 1001, name: Администрация, agency: city}
people:
  - {telegram_id: 501, name: Иван Петров, role: official, agencies: [city]}
  - {telegram_id: 601, name: Ольга Смирнова, role: moderator}
posts:
  - {page: 1001, id: 10, at: 2026-11-23T07:30:00+03:00, text: Итоги}
events:
  - at: 2026-11-23T08:05:00+03:00
    comment: {page: 1001, post: 10, id: 11, from_id: 7001, text: "Яма у дома 5, когда заделаете?"}
  - at: 2026-11-23T08:20:00+03:00
    telegram: {from: 601, text: "/open дороги"}
  - at: 2026-11-23T08:25:00+03:00
    telegram: {from: 501, text: "/stats"}
"""


def test_demo_summary_counts_what_it_printed_and_says_what_next(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = tmp_path / "demo.yaml"
    scenario.write_text(DEMO, encoding="utf-8")
    assert main(["demo", "--scenario", str(scenario), "--speed", "600"]) == 0
    out = capsys.readouterr().out
    shown = len(re.findall(r"^\[\d\d\.\d\d \d\d:\d\d\] → ", out, flags=re.MULTILINE))
    assert shown >= 3  # the alert, the list, the figures
    total = re.search(r"Показано выше: (\d+) \(", out)
    assert total is not None and int(total.group(1)) == shown
    assert "Виртуальное время 23.11.2026 08:00 — 23.11.2026 08:40" in out
    tail = out[out.index("Дальше:") :]
    assert "otklik check" in tail and ".env" in tail and "registry.yaml" in tail
