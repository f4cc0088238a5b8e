"""The scenario programs share one serving contract, kept in identical serve.go copies."""

from __future__ import annotations

from kit.scenarios.catalog import all_scenarios


def test_serve_go_copies_are_identical() -> None:
    # Each program carries its own serve.go so that a learner's workspace builds alone;
    # this keeps the copies from drifting apart.
    copies = {s.id: (s.program_dir / "serve.go").read_text() for s in all_scenarios()}
    assert len(copies) >= 3
    reference = copies["cache-map"]
    assert "LEAKKIT_LISTEN" in reference and "listening on" in reference
    assert {sid for sid, text in copies.items() if text != reference} == set()


def test_serve_go_is_not_editable_and_programs_speak_pprof() -> None:
    for s in all_scenarios():
        assert "serve.go" not in s.editable, s.id
        serve = (s.program_dir / "serve.go").read_text()
        assert '_ "net/http/pprof"' in serve and '_ "expvar"' in serve, s.id
