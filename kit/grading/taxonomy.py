"""The leak taxonomy the grader matches diagnoses against, with synonyms in English and Chinese.

docs/taxonomy.md is generated from this table (`leakkit taxonomy --markdown`); a test keeps
the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    family: str  # memory | goroutine | not-a-leak
    title: str
    synonyms: tuple[str, ...]
    synonyms_zh: tuple[str, ...]


TAXONOMY: tuple[Category, ...] = (
    Category(
        "unbounded-cache",
        "memory",
        "A cache or global map that only grows",
        (
            "unbounded cache",
            "cache without eviction",
            "cache with no eviction",
            "no eviction",
            "never evict",
            "no ttl",
            "without a ttl",
            "without ttl",
            "never expire",
            "map that only grows",
            "map only grows",
            "ever-growing map",
            "unbounded map",
            "global map",
            "cache grows without bound",
            "cache that never forgets",
            "map never shrinks",
            "maps never shrink",
            "map does not shrink",
        ),
        (
            "无界缓存",
            "没有淘汰",
            "没有过期",
            "永不过期",
            "缓存无限增长",
            "只增不减",
            "全局 map",
            "全局map",
            "map 不会缩容",
        ),
    ),
    Category(
        "goroutine-blocked-send",
        "goroutine",
        "Goroutines blocked forever on a channel send",
        (
            "blocked on send",
            "blocked on a send",
            "blocked sending",
            "blocks on send",
            "blocked forever on a send",
            "stuck sending",
            "send on an unbuffered channel",
            "send to an unbuffered channel",
            "sending on an unbuffered channel",
            "no receiver",
            "nobody receives",
            "nobody is receiving",
            "no one receives",
            "timeout leak",
            "chan send",
        ),
        (
            "阻塞在发送",
            "发送阻塞",
            "无缓冲通道",
            "无缓冲的 channel",
            "没有接收者",
            "超时泄漏",
            "chan send",
        ),
    ),
    Category(
        "goroutine-blocked-receive",
        "goroutine",
        "Goroutines blocked forever on a receive",
        (
            "blocked on receive",
            "blocked on a receive",
            "blocked receiving",
            "stuck receiving",
            "blocked forever receiving",
            "range over a channel",
            "ranging over a channel",
            "ranges over a channel",
            "channel is never closed",
            "channel never closed",
            "never closed",
            "nobody closes",
            "no one closes",
            "not closed by the producer",
            "chan receive",
        ),
        (
            "阻塞在接收",
            "接收阻塞",
            "通道没有关闭",
            "channel 没有关闭",
            "未关闭的通道",
            "没有关闭 channel",
            "chan receive",
        ),
    ),
    Category(
        "lock-never-released",
        "goroutine",
        "A lock not released on some path: goroutines pile up waiting for it",
        (
            "never unlocked",
            "not unlocked",
            "missing unlock",
            "forgot to unlock",
            "lock is never released",
            "lock never released",
            "lock is not released",
            "blocked on a lock",
            "blocked on the lock",
            "waiting for the lock",
            "held forever",
            "mutex is never released",
        ),
        ("锁没有释放", "未解锁", "没有解锁", "锁未释放"),
    ),
    Category(
        "ticker-leak",
        "goroutine",
        "A Ticker or Timer loop that is never stopped",
        (
            "ticker is never stopped",
            "ticker never stopped",
            "ticker not stopped",
            "ticker loop never exits",
            "forgot to stop the ticker",
        ),
        ("ticker 没有停止", "ticker 未停止", "ticker 循环不退出"),
    ),
    Category(
        "unstopped-timer",
        "memory",
        "A timer never stopped keeps its callback and all it captures until it fires",
        (
            "timer never stopped",
            "timer is never stopped",
            "timers are never stopped",
            "timer not stopped",
            "unstopped timer",
            "afterfunc is never stopped",
            "afterfunc never stopped",
            "pending timers",
            "held by timers",
        ),
        ("定时器没有停止", "定时器未停止", "timer 未停止", "afterfunc 没有停止"),
    ),
    Category(
        "growing-collection",
        "memory",
        "A long-lived slice, list or queue that keeps growing",
        (
            "slice keeps growing",
            "slice that keeps growing",
            "unbounded slice",
            "ever-growing slice",
            "append without bound",
            "queue keeps growing",
            "unbounded queue",
            "history grows",
            "free list keeps growing",
            "pool keeps growing",
            "pool grows without bound",
            "growing collection",
        ),
        ("切片不断增长", "无限增长的切片", "队列不断增长", "池不断增长"),
    ),
    Category(
        "listener-leak",
        "memory",
        "Listeners or callbacks registered and never removed",
        (
            "never unregistered",
            "never unsubscribed",
            "never removed from the list",
            "callbacks never removed",
            "listeners never removed",
            "subscribers never removed",
        ),
        ("监听器未移除", "回调未注销", "没有取消订阅"),
    ),
    Category(
        "unclosed-resource",
        "memory",
        "A resource that is never closed",
        (
            "body is not closed",
            "body not closed",
            "never closed the body",
            "resource leak",
            "not closed",
            "close is never called",
            "missing close",
        ),
        ("没有关闭", "资源未关闭", "body 未关闭"),
    ),
    Category(
        "pinned-backing-array",
        "memory",
        "A small substring or sub-slice keeps a large backing array alive",
        (
            "substring pins",
            "substring keeps",
            "sub-slice pins",
            "subslice pins",
            "sub-slice keeps",
            "pins the whole",
            "pins the backing array",
            "keeps the backing array",
            "shares the backing array",
            "backing array alive",
            "pinned buffer",
            "pins its document",
            "pins the document",
        ),
        ("子串引用整个", "底层数组", "切片引用整个", "子切片"),
    ),
    Category(
        "unbounded-cardinality",
        "memory",
        "Metrics or series keyed by unbounded label values",
        (
            "cardinality",
            "unbounded labels",
            "label per user",
            "series per",
            "one series for every",
            "labels are unbounded",
            "unbounded label values",
        ),
        ("基数", "标签无界", "标签爆炸"),
    ),
    Category(
        "context-leak",
        "memory",
        "A cancellable context that is never cancelled",
        (
            "cancel is never called",
            "never cancelled",
            "never canceled",
            "context leak",
            "cancel func is discarded",
        ),
        ("没有调用 cancel", "context 未取消", "context 没有取消"),
    ),
    Category(
        "not-a-leak",
        "not-a-leak",
        "Nothing leaks: the growth is bounded or not on the heap",
        (
            "not a leak",
            "no leak",
            "nothing leaks",
            "does not leak",
            "doesn't leak",
            "is bounded",
            "not leaking",
        ),
        ("不是泄漏", "没有泄漏", "不存在泄漏"),
    ),
)
FAMILY_WORDS = {
    "memory": ("memory leak", "heap leak", "heap grows", "内存泄漏", "堆增长"),
    "goroutine": (
        "goroutine leak",
        "goroutines leak",
        "leaked goroutines",
        "goroutine 泄漏",
        "协程泄漏",
    ),
}
BY_ID = {c.id: c for c in TAXONOMY}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("`", ""))


def matched_categories(text: str) -> list[str]:
    """Category ids whose synonyms occur in `text`, most specific first (by synonym length)."""
    norm = _norm(text)
    found: dict[str, int] = {}
    for c in TAXONOMY:
        for s in (*c.synonyms, *c.synonyms_zh):
            if s.lower() in norm:
                found[c.id] = max(found.get(c.id, 0), len(s))
    return sorted(found, key=lambda cid: -found[cid])


def matched_families(text: str) -> set[str]:
    norm = _norm(text)
    return {fam for fam, words in FAMILY_WORDS.items() if any(w in norm for w in words)}


def taxonomy_markdown() -> str:
    lines = [
        "# Leak taxonomy",
        "",
        "The grader matches the *What leaks* section of a diagnosis against this table:",
        "naming a category (any synonym, English or Chinese, case-insensitive) earns the",
        "category marks; naming only its family (a memory leak, a goroutine leak) earns half.",
        "Generated by `leakkit taxonomy --markdown` from `kit/grading/taxonomy.py`.",
        "",
        "| id | family | what it is | synonyms | 中文 |",
        "|---|---|---|---|---|",
    ]
    for c in TAXONOMY:
        lines.append(
            f"| `{c.id}` | {c.family} | {c.title} | {'; '.join(c.synonyms)} | "
            f"{'; '.join(c.synonyms_zh)} |"
        )
    lines.append("")
    lines.append(
        "Family words: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in FAMILY_WORDS.items())
    )
    return "\n".join(lines) + "\n"
