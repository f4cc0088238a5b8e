"""Read a learner's diagnosis.md (markdown-it-py) and score it against the scenario.

Four fixed headings: What leaks, Where, Evidence, Fix (English or Chinese). Functions are
matched leniently as Go symbols: `main.(*Store).Put`, `(*Store).Put` and `Store.Put` are the
same function, and naming the function that defines a closure counts for the closure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from kit.grading.taxonomy import BY_ID, matched_categories, matched_families

SECTIONS = {
    "what leaks": "what",
    "where": "where",
    "evidence": "evidence",
    "fix": "fix",
    "泄漏了什么": "what",
    "什么在泄漏": "what",
    "位置": "where",
    "哪里": "where",
    "证据": "evidence",
    "修复": "fix",
}
HEADINGS = ("What leaks", "Where", "Evidence", "Fix")
_SYMBOL = re.compile(
    r"(?:[A-Za-z0-9_.\-]+/)*(?:[A-Za-z_][A-Za-z0-9_]*\.)?(?:\(\*?[A-Za-z_][A-Za-z0-9_]*\)\.)?"
    r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
)
_CLOSURE = re.compile(r"^(?:func\d+|gowrap\d+|\d+)$")
# Dotted words in prose that are not Go symbols: abbreviations and file names.
_PROSE = {"e.g", "i.e", "cf", "etc", "vs"}
_FILE_SUFFIXES = {"go", "md", "mod", "sum", "toml", "txt", "json", "yaml", "yml", "gz", "pb"}
_FILE_SUFFIXES |= {"html", "csv", "log", "patch", "svg", "png"}


def _prose_symbol(word: str) -> bool:
    """Whether a dotted word in plain text (not a code span) can stand for a Go symbol."""
    low = word.lower()
    return "." in word and low not in _PROSE and low.rsplit(".", 1)[-1] not in _FILE_SUFFIXES


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The sections of a diagnosis, as plain text, and what is off about its layout."""

    sections: dict[str, str]
    symbols: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...] = field(default=())
    wrong_level: tuple[str, ...] = field(default=())  # section headings written as `# Title`

    def text(self, key: str) -> str:
        return self.sections.get(key, "")


def parse_diagnosis(markdown: str) -> Diagnosis:
    """Split the Markdown by its headings; code spans in Where become the named symbols."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    sections: dict[str, list[str]] = {}
    extra: list[str] = []
    wrong_level: list[str] = []
    where_symbols: list[str] = []
    current: str | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.tag == "h1":
            title = tokens[i + 1].content.strip()
            if title.lower().rstrip(":") in SECTIONS:
                wrong_level.append(title)
        if tok.type == "heading_open" and tok.tag != "h1":
            title = tokens[i + 1].content.strip()
            current = SECTIONS.get(title.lower().rstrip(":"))
            if current is None:
                extra.append(title)
            else:
                sections.setdefault(current, [])
            i += 3
            continue
        if current is not None and tok.type == "inline":
            sections[current].append(tok.content)
            if current == "where":
                for child in tok.children or []:
                    if child.type == "code_inline":
                        where_symbols.append(child.content.strip())
                plain = re.sub(r"`[^`]*`", " ", tok.content)
                where_symbols.extend(
                    m.group(0) for m in _SYMBOL.finditer(plain) if _prose_symbol(m.group(0))
                )
        elif current is not None and tok.type in ("fence", "code_block"):
            sections[current].append(tok.content)
        i += 1
    texts = {k: _strip_comments("\n".join(v)).strip() for k, v in sections.items()}
    missing = tuple(h for h in HEADINGS if not texts.get(SECTIONS[h.lower()]))
    return Diagnosis(texts, tuple(where_symbols), missing, tuple(extra), tuple(wrong_level))


def _strip_comments(text: str) -> str:
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Why there is no diagnosis to grade; the diagnosis checks fail with this reason."""

    reason: str


def read_diagnosis(path: Path) -> Diagnosis | Unreadable:
    """The parsed diagnosis, or why it cannot be read (missing, a folder, not UTF-8)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Unreadable("no diagnosis.md in the workspace; write one with the four headings")
    except IsADirectoryError:
        return Unreadable(
            f"{path.name} is a folder, not a file; remove it and write diagnosis.md as a text file"
        )
    except OSError as exc:
        return Unreadable(f"{path.name} cannot be read ({exc.strerror}); check its permissions")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Unreadable(
            f"{path.name} is not UTF-8 text (byte {exc.start} is not valid UTF-8); "
            "save it as UTF-8 and grade again"
        )
    return parse_diagnosis(text)


def symbol_parts(symbol: str) -> tuple[str, ...]:
    """`main.(*Store).Put.func1` -> ("main", "Store", "Put", "func1"); pointer marks dropped."""
    s = symbol.strip().strip("`").removesuffix("()").rsplit("/", 1)[-1]
    parts = [p for p in re.split(r"\.(?![^(]*\))", s) if p]
    return tuple(p[2:-1] if p.startswith("(*") else p.strip("()") for p in parts)


def names_function(named: str, expected: str) -> bool:
    """Whether the learner's `named` symbol stands for `expected` (a name as pprof prints it).

    pprof names start with the package; the learner may leave it out. The function that
    defines a closure (`Quote` for `Quote.func1`) counts for the closure.
    """
    want = symbol_parts(expected)[1:]
    enclosing = want
    while len(enclosing) > 1 and _CLOSURE.match(enclosing[-1]):
        enclosing = enclosing[:-1]
    got = symbol_parts(named)
    return any(form in (want, enclosing) for form in (got, got[1:]) if form)


@dataclass(frozen=True, slots=True)
class Mark:
    """Points for one part of the diagnosis, and the message that explains them."""

    score: float
    max_score: float
    message: str


def mark_function(d: Diagnosis, expected: list[str], max_score: float) -> Mark:
    named = list(dict.fromkeys(d.symbols))
    if not named:
        return Mark(0, max_score, f"expected {', '.join(expected)} in Where; no Go symbol named")
    first = named[:3]
    hits = [e for e in expected if any(names_function(n, e) for n in first)]
    shown = ", ".join(named[:5])
    if hits:
        score = max_score * len(hits) / len(expected) if len(expected) > 1 else max_score
        score = max_score if hits[0] == expected[0] else score
        return Mark(score, max_score, f"named {', '.join(hits)} (you wrote: {shown})")
    late = [e for e in expected if any(names_function(n, e) for n in named)]
    if late:
        return Mark(
            0,
            max_score,
            f"{late[0]} is named, but only after three others ({shown}): "
            "name the function that leaks first",
        )
    return Mark(0, max_score, f"expected {expected[0]}; you named {shown}")


def mark_category(d: Diagnosis, category: str, max_score: float) -> Mark:
    text = d.text("what")
    title = BY_ID[category].title if category in BY_ID else category
    found = matched_categories(text)
    if category in found and len(found) <= 3:
        return Mark(max_score, max_score, f"recognised the category: {title} ({category})")
    if category in found:
        return Mark(
            0,
            max_score,
            f"named {len(found)} categories ({', '.join(found)}): pick the one that applies",
        )
    family = BY_ID[category].family if category in BY_ID else ""
    if family in matched_families(text) or any(BY_ID[c].family == family for c in found):
        return Mark(
            max_score / 2,
            max_score,
            f"right family ({family} leak), but not the kind: expected {title}; see docs/taxonomy.md",
        )
    got = ", ".join(found) or "no category from docs/taxonomy.md"
    return Mark(0, max_score, f"expected {title} ({category}); found {got}")


_EVIDENCE = {
    "heap": (
        ("the heap profile", ("heap", "inuse", "堆")),
        (
            "the inuse_space sample type",
            ("inuse_space", "inuse space", "in-use space", "in use space", "inuse_objects"),
        ),
    ),
    "goroutine": (
        (
            "the goroutine profile",
            (
                "goroutine profile",
                "/debug/pprof/goroutine",
                "goroutine?debug",
                "goroutineleak",
                "goroutine 分析",
                "goroutine 剖析",
            ),
        ),
        (
            "goroutine counts",
            (
                "count",
                "number of goroutines",
                "goroutines grew",
                "goroutines grow",
                "数量",
                "个 goroutine",
            ),
        ),
    ),
    # Not-a-leak scenarios: much is allocated, little is kept.
    "allocs": (
        (
            "the allocs profile or alloc_space",
            ("allocs", "alloc_space", "alloc space", "total_alloc", "totalalloc", "分配量"),
        ),
        (
            "the in-use heap staying flat (inuse_space or HeapAlloc)",
            ("inuse", "in-use", "in use", "heapalloc", "heap_alloc", "heapinuse", "heap_inuse"),
        ),
    ),
}
_COMPARISON = (
    "-base",
    "base profile",
    "diff",
    "delta",
    "between",
    "compared",
    "comparing",
    "snapshot",
    "checkpoint",
    "对比",
    "比较",
    "差异",
    "两次",
)


def mark_evidence(d: Diagnosis, profile: str, max_score: float) -> Mark:
    text = d.text("evidence").lower()
    parts = [
        *_EVIDENCE[profile],
        ("a comparison over time (e.g. -base, or counts between checkpoints)", _COMPARISON),
    ]
    each = max_score / len(parts)
    got: list[str] = []
    missed: list[str] = []
    for label, words in parts:
        (got if any(w in text for w in words) else missed).append(label)
    score = each * len(got)
    msg = f"cited {', '.join(got) or 'nothing the grader recognises'}"
    if missed:
        msg += f"; missing {', '.join(missed)}"
    return Mark(score, max_score, msg)
