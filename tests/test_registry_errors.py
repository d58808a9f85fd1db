"""Issue 11, defect 11: registry mistakes an administrator makes, each reported at the line of
the entry to fix, in ``otklik run`` and ``otklik check`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.check import check_registry
from config.registry import RegistryError, load_registry
from config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

HEAD = """\
agencies:
  - id: city
    name: Администрация
  - id: water
    name: Водоканал
pages:
  - group_id: 1001
    name: Администрация
    agency: city
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    """The registry's error lines, with the directory taken off."""
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    lines = str(err.value).splitlines()
    assert all(line.startswith(f"{path}") for line in lines), lines
    return [line.removeprefix(f"{tmp_path}/") for line in lines]


def test_a_cross_reference_points_at_the_entry_not_at_agencies(tmp_path: Path) -> None:
    text = HEAD + "  - group_id: 1002\n    name: Школа\n    agency: school\n"
    assert problems(tmp_path, text) == [
        "registry.yaml:12: pages[1] (group_id 1002): unknown agency 'school' (fix: use one of "
        "the agencies' ids: city, water, or add it under agencies)"
    ]


def test_the_same_telegram_id_twice(tmp_path: Path) -> None:
    text = HEAD + (
        "people:\n"
        "  - {telegram_id: 501, name: Иван, role: official, agencies: [city]}\n"
        "  - {telegram_id: 601, name: Ольга, role: moderator}\n"
        "  - {telegram_id: 501, name: Иван, role: official, agencies: [water]}\n"
    )
    assert problems(tmp_path, text) == [
        "registry.yaml:13: people[2] (Иван): telegram_id 501 is already used by people[0] "
        "(Иван) (fix: one entry per person; list all of an official's agencies in that entry)"
    ]


def test_a_duplicate_agency_id_is_a_duplicate_not_an_unknown_agency(tmp_path: Path) -> None:
    text = HEAD.replace("id: water", "id: city")
    assert problems(tmp_path, text) == [
        "registry.yaml:4: agencies[1]: id 'city' is a duplicate of agencies[0] "
        "(fix: give each agency its own id, or keep one entry)"
    ]
    # A second agencies: block would silently replace the first; then every page of the
    # first block's agencies was «unknown agency».
    text = HEAD + "agencies:\n  - {id: gas, name: Газ}\n"
    found = problems(tmp_path, text)
    assert found == [
        "registry.yaml:10: not valid YAML: 'agencies' is given twice (first on line 1); "
        "fix: merge the two into one"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "",
            [
                "registry.yaml: no agencies: the registry is empty (fix: list at least one agency "
                "under agencies:, see registry.example.yaml)",
                "registry.yaml: no pages: nothing would be watched (fix: list the VK pages under "
                "pages:, see registry.example.yaml)",
            ],
        ),
        (
            "# to be filled in\nagencies: []\npages: []\n",
            [
                "registry.yaml:2: no agencies: the registry is empty (fix: list at least one "
                "agency under agencies:, see registry.example.yaml)",
                "registry.yaml:3: no pages: nothing would be watched (fix: list the VK pages "
                "under pages:, see registry.example.yaml)",
            ],
        ),
        (
            HEAD.split("pages:")[0],
            [
                "registry.yaml: no pages: nothing would be watched (fix: list the VK pages "
                "under pages:, see registry.example.yaml)"
            ],
        ),
    ],
)
def test_an_empty_registry_fails(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems(tmp_path, text) == expected


def test_entry_mistakes_each_at_their_line(tmp_path: Path) -> None:
    text = HEAD + (
        "  - {group_id: 1001, name: Копия, agency: city}\n"  # 10
        "  - {group_id: 1003, name: Опечатка, agancy: city}\n"  # 11
        "people:\n"
        "  - {telegram_id: 601, name: Ольга, role: boss}\n"  # 13
        "rules:\n"
        "  - {topic: housing, agency: water}\n"
        "  - {topic: housing, agency: city}\n"  # 16
        "  - {topic: roads, agency: city, page: 4242}\n"  # 17
        "rule:\n"  # 18
        "  - {topic: snow, agency: city}\n"
    )
    assert problems(tmp_path, text) == [
        "registry.yaml:18: unknown section 'rule' (fix: did you mean rules?)",
        "registry.yaml:11: pages[2].agency: Field required (fix: add agency: …)",
        "registry.yaml:11: pages[2].agancy: unknown field 'agancy' (fix: did you mean 'agency'?)",
        "registry.yaml:13: people[0].role: unknown role 'boss' (fix: use 'admin', 'lead', "
        "'moderator' or 'official')",
    ]
    text = text.replace("agancy", "agency").replace("role: boss", "role: moderator")
    text = text.split("rule:\n")[0]
    assert problems(tmp_path, text) == [
        "registry.yaml:10: pages[1]: group_id 1001 is listed twice, also as pages[0] "
        "(fix: keep one entry)",
        "registry.yaml:16: rules[1]: topic housing on any page is already routed by rules[0] "
        "(fix: keep one of the two rules)",
        "registry.yaml:17: rules[2]: unknown page 4242 (fix: list the page under pages, or "
        "drop page from the rule)",
    ]


def test_otklik_check_shows_the_same_lines(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(HEAD.replace("id: water", "id: city"), encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    item, registry = check_registry(Settings(_env_file=None, registry_path=path))
    assert registry is None and not item.ok
    assert item.detail == str(err.value)
    assert "registry.yaml:4: agencies[1]: id 'city' is a duplicate" in item.detail


def test_the_example_registry_loads() -> None:
    reg = load_registry(ROOT / "registry.example.yaml")
    assert reg.agencies and reg.pages
