"""The growth classifier on synthetic series: steady, stepped, noisy, saturating, flat."""

from __future__ import annotations

import random

import pytest

from kit.analysis.curves import GrowthClass, classify, fit, sparkline, verdict

WORK = [500, 2500, 4500, 6500, 8500, 10500]


def series(per_request: float, base: int = 300_000, noise: int = 0, seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    return [int(base + per_request * w + rng.randint(-noise, noise)) for w in WORK]


def test_fit_exact_line() -> None:
    slope, r2 = fit([0, 1, 2, 3], [1, 3, 5, 7])
    assert slope == pytest.approx(2.0)
    assert r2 == pytest.approx(1.0)


def test_steady_growth_is_a_leak() -> None:
    # A 16-byte payload kept per request costs about 40 bytes of heap (object + slice slot).
    g = classify("heap_alloc", WORK, series(40))
    assert g.cls is GrowthClass.LEAK
    assert g.per_1k == pytest.approx(40_000, rel=1e-6)
    assert "steadily" in g.reason


def test_slow_creep_under_the_floor_is_bounded() -> None:
    # Fixed services still creep by a few bytes per request (stacks, map internals).
    g = classify("heap_alloc", WORK, series(5, noise=2000))
    assert g.cls is GrowthClass.BOUNDED


def test_stepped_growth_is_a_leak() -> None:
    # A map that doubles its buckets: growth in steps, but it keeps going.
    values = [300_000, 300_000, 600_000, 600_000, 1_200_000, 1_200_000]
    g = classify("heap_alloc", WORK, values)
    assert g.cls is GrowthClass.LEAK


def test_noise_under_the_floor_is_bounded() -> None:
    g = classify("heap_alloc", WORK, series(0, noise=4000))
    assert g.cls is GrowthClass.BOUNDED
    assert "noise floor" in g.reason


def test_saturating_growth_is_bounded() -> None:
    values = [300_000, 900_000, 1_000_000, 1_010_000, 1_012_000, 1_012_500]
    g = classify("heap_alloc", WORK, values)
    assert g.cls is GrowthClass.BOUNDED
    assert "levelled off" in g.reason


def test_noisy_growth_is_inconclusive() -> None:
    values = [300_000, 900_000, 350_000, 1_000_000, 400_000, 1_200_000]
    g = classify("heap_alloc", WORK, values)
    assert g.cls is GrowthClass.INCONCLUSIVE
    assert "unsteadily" in g.reason


def test_goroutine_growth_and_minimum_total() -> None:
    leak = classify("goroutines", WORK, [10, 510, 1010, 1510, 2010, 2510])
    assert leak.cls is GrowthClass.LEAK
    assert leak.per_1k == pytest.approx(250.0)
    tiny = classify("goroutines", [0, 100, 200, 300, 400, 500], [4, 4, 5, 5, 6, 6])
    assert tiny.cls is GrowthClass.BOUNDED


def test_too_few_checkpoints() -> None:
    g = classify("heap_alloc", [0, 1000], [1, 2])
    assert g.cls is GrowthClass.INCONCLUSIVE
    assert "at least 3" in g.reason


def test_verdict_and_sparkline() -> None:
    leak = {"heap_alloc": classify("heap_alloc", WORK, series(64))}
    flat = {"heap_alloc": classify("heap_alloc", WORK, series(0))}
    assert verdict(leak) == "leak"
    assert verdict(flat) == "no-leak"
    assert verdict({}) == "inconclusive"
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▁▁▁"
