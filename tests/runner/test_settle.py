"""settle() waits for the goroutine count to hold still, and gives up on one that keeps moving."""

from __future__ import annotations

from kit.runner.capture import settle


class _Counts:
    def __init__(self, counts: list[int]) -> None:
        self.counts = counts
        self.calls = 0

    def get(self, path: str) -> bytes:
        assert path == "/debug/pprof/goroutine?debug=1"
        n = self.counts[min(self.calls, len(self.counts) - 1)]
        self.calls += 1
        return f"goroutine profile: total {n}\n1 @ 0x1 0x2\n".encode()


def test_waits_until_two_reads_agree() -> None:
    api = _Counts([40, 22, 14, 14, 14])
    assert settle(api, wait=0.001) == 14  # type: ignore[arg-type]
    assert api.calls == 4


def test_gives_up_on_a_count_that_keeps_moving() -> None:
    api = _Counts(list(range(100, 100000)))
    assert settle(api, wait=0.01, limit=0.1) is not None  # type: ignore[arg-type]
    assert 2 <= api.calls <= 12
