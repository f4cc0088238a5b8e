"""The scenario programs share one serving contract, kept in identical serve.go copies."""

from __future__ import annotations

from fnmatch import fnmatch

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


def test_dockerfiles_build_the_program_standalone() -> None:
    """Each scenario's Dockerfile is a real multi-stage build of its own program folder."""
    for s in all_scenarios():
        text = (s.folder / "Dockerfile").read_text()
        stages = [line for line in text.splitlines() if line.startswith("FROM ")]
        assert len(stages) == 2 and stages[0].startswith("FROM golang:"), s.id
        assert stages[0].endswith(" AS build"), s.id
        assert "CGO_ENABLED=0" in text and "COPY --from=build" in text, s.id
        assert "USER nonroot" in text and "ENTRYPOINT" in text, s.id
        # The usage lines name this scenario's folders and publish on loopback only.
        assert f"-f scenarios/{s.id}/Dockerfile" in text, s.id
        assert f"go_samples/{s.program_dir.name}" in text, s.id
        assert "-p 127.0.0.1:8080:8080" in text, s.id


def test_dockerfiles_copy_every_file_of_the_program() -> None:
    """A program that embeds a file (a template, say) must get it into the image build too."""
    for s in all_scenarios():
        text = (s.folder / "Dockerfile").read_text()
        globs = [
            pattern
            for line in text.splitlines()
            if line.startswith("COPY ") and "--from=" not in line
            for pattern in line.split()[1:-1]
        ]
        for f in sorted(s.program_dir.iterdir()):
            if f.is_file() and not f.name.endswith("_test.go"):
                assert any(fnmatch(f.name, g) for g in globs), (s.id, f.name, globs)
