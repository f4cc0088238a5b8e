"""Diagnosis parsing and marking: headings, lenient Go symbols, taxonomy, evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.grading.diagnosis import (
    mark_category,
    mark_evidence,
    mark_function,
    names_function,
    parse_diagnosis,
)
from kit.grading.taxonomy import matched_categories, taxonomy_markdown
from kit.scenarios.workspace import DIAGNOSIS_TEMPLATE

ROOT = Path(__file__).resolve().parents[2]

GOOD = """# Diagnosis

## What leaks
Memory. The product cache is an **unbounded cache**: the map only grows.

## Where
`main.(*priceCache).Put` keeps every sheet; called from main.priceHandler.func1.

## Evidence
Heap profile, inuse_space: `go tool pprof -base heap-0.pb.gz heap-5.pb.gz` shows Put.

## Fix
An LRU with a size cap.
"""


@pytest.mark.parametrize(
    ("named", "expected", "ok"),
    [
        ("main.(*Store).Put", "main.(*Store).Put", True),
        ("(*Store).Put", "main.(*Store).Put", True),
        ("Store.Put", "main.(*Store).Put", True),
        ("example.com/svc.(*Store).Put", "main.(*Store).Put", True),
        ("Put", "main.(*Store).Put", False),
        ("main.(*Store).Get", "main.(*Store).Put", False),
        ("(*quoteService).Quote", "main.(*quoteService).Quote.func1", True),
        ("main.(*quoteService).Quote.func1", "main.(*quoteService).Quote.func1", True),
        ("main.handle", "main.handle", True),
        ("handle", "main.handle", True),
    ],
)
def test_symbols_match_leniently(named: str, expected: str, ok: bool) -> None:
    assert names_function(named, expected) is ok


def test_sections_and_symbols() -> None:
    d = parse_diagnosis(GOOD)
    assert set(d.sections) == {"what", "where", "evidence", "fix"}
    assert d.symbols[0] == "main.(*priceCache).Put"
    assert "main.priceHandler.func1" in d.symbols
    assert d.missing == ()


def test_prose_abbreviations_and_file_names_are_not_symbols() -> None:
    text = GOOD.replace(
        "## Where\n",
        "## Where\nIn main.go (e.g. the handler, i.e. the hot path; see diagnosis.md).\n\n",
    )
    d = parse_diagnosis(text)
    assert d.symbols[0] == "main.(*priceCache).Put"
    assert not {"main.go", "e.g", "i.e", "diagnosis.md"} & set(d.symbols)
    assert mark_function(d, ["main.(*priceCache).Put"], 20).score == 20


def test_marks_for_a_good_diagnosis() -> None:
    d = parse_diagnosis(GOOD)
    assert mark_function(d, ["main.(*priceCache).Put"], 20).score == 20
    assert mark_category(d, "unbounded-cache", 15).score == 15
    assert mark_evidence(d, "heap", 15).score == 15


def test_wrong_function_and_shotgun() -> None:
    wrong = parse_diagnosis("## Where\n`main.(*priceCache).Get`\n")
    mark = mark_function(wrong, ["main.(*priceCache).Put"], 20)
    assert mark.score == 0
    assert "expected main.(*priceCache).Put; you named main.(*priceCache).Get" in mark.message
    late = parse_diagnosis("## Where\n`a.A` `b.B` `c.C` `main.(*priceCache).Put`\n")
    assert mark_function(late, ["main.(*priceCache).Put"], 20).score == 0


def test_category_family_and_chinese() -> None:
    family = parse_diagnosis("## What leaks\nA goroutine leak.\n")
    mark = mark_category(family, "goroutine-blocked-send", 15)
    assert mark.score == 7.5
    assert "right family" in mark.message
    zh = parse_diagnosis("## 泄漏了什么\ngoroutine 阻塞在发送, 无缓冲通道没有接收者。\n")
    assert mark_category(zh, "goroutine-blocked-send", 15).score == 15
    shotgun = parse_diagnosis(
        "## What leaks\nunbounded cache, blocked on send, blocked on receive, ticker never stopped\n"
    )
    assert mark_category(shotgun, "unbounded-cache", 15).score == 0


def test_evidence_parts() -> None:
    partial = parse_diagnosis("## Evidence\nThe goroutine profile.\n")
    mark = mark_evidence(partial, "goroutine", 15)
    assert mark.score == 5
    assert "missing goroutine counts, a comparison over time" in mark.message


def test_missing_and_extra_headings() -> None:
    d = parse_diagnosis("## What leaks\nmemory\n## Notes\nblah\n")
    assert d.missing == ("Where", "Evidence", "Fix")
    assert d.extra == ("Notes",)


def test_template_earns_nothing() -> None:
    d = parse_diagnosis(DIAGNOSIS_TEMPLATE)
    assert d.missing == ("What leaks", "Where", "Evidence", "Fix")
    assert mark_function(d, ["main.(*priceCache).Put"], 20).score == 0
    assert mark_category(d, "unbounded-cache", 15).score == 0
    assert mark_evidence(d, "heap", 15).score == 0


def test_taxonomy_doc_is_generated_from_the_table() -> None:
    assert (ROOT / "docs" / "taxonomy.md").read_text(encoding="utf-8") == taxonomy_markdown()
    assert matched_categories("a channel that is never closed")[0] == "goroutine-blocked-receive"


def _diagnosis_checks(tmp_path: Path, content: bytes | None) -> dict[str, tuple[str, float, str]]:
    from kit.grading.grade import diagnosis_checks
    from kit.scenarios.catalog import get_scenario

    path = tmp_path / "diagnosis.md"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    checks = diagnosis_checks(path, get_scenario("cache-map"))
    return {c.id: (c.status, c.score, c.message) for c in checks}


def test_a_gbk_diagnosis_fails_with_the_reason(tmp_path: Path) -> None:
    zh = "# 诊断\n\n## 泄漏了什么\n\n无界缓存, map 只增不减。\n\n## 位置\n\n`main.(*priceCache).Put`\n"
    checks = _diagnosis_checks(tmp_path, zh.encode("gbk"))
    assert set(checks) == {"function", "category", "evidence"}
    for status, score, message in checks.values():
        assert (status, score) == ("fail", 0)
        assert message.startswith("diagnosis.md is not UTF-8 text")
        assert "save it as UTF-8" in message
    # The same text as UTF-8 is read: the category and the function earn their points.
    (tmp_path / "utf8").mkdir()
    utf8 = _diagnosis_checks(tmp_path / "utf8", zh.encode())
    assert utf8["category"][1] > 0 and utf8["function"][1] > 0


def test_a_folder_named_diagnosis_md_fails_with_the_reason(tmp_path: Path) -> None:
    checks = _diagnosis_checks(tmp_path, None)
    for status, score, message in checks.values():
        assert (status, score) == ("fail", 0)
        assert message == (
            "diagnosis.md is a folder, not a file; remove it and write diagnosis.md as a text file"
        )


def test_level_one_headings_are_reported_as_the_wrong_level(tmp_path: Path) -> None:
    flat = GOOD.replace("## ", "# ")
    checks = _diagnosis_checks(tmp_path, flat.encode())
    for _, score, message in checks.values():
        assert score == 0
        assert (
            "wrong heading level: `# What leaks`, `# Where`, `# Evidence`, `# Fix` are level 1"
            in message
        )
        assert "`## What leaks`" in message
    (tmp_path / "right").mkdir()
    right = _diagnosis_checks(tmp_path / "right", GOOD.encode())
    assert all(score > 0 and "heading level" not in m for _, score, m in right.values())
