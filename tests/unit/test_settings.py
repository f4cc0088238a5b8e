"""Run settings from the environment: a bad value is one clear error naming the variable."""

from __future__ import annotations

import pytest

from kit.errors import UsageError
from kit.runner.settings import env_seconds


def test_unset_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKKIT_READY_TIMEOUT", raising=False)
    assert env_seconds("LEAKKIT_READY_TIMEOUT", 30.0) == 30.0


def test_a_number_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKKIT_READY_TIMEOUT", " 2.5 ")
    assert env_seconds("LEAKKIT_READY_TIMEOUT", 30.0) == 2.5


@pytest.mark.parametrize("raw", ["soon", "0", "-3", "nan", "inf"])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LEAKKIT_PHASE_TIMEOUT", raw)
    with pytest.raises(UsageError) as err:
        env_seconds("LEAKKIT_PHASE_TIMEOUT", 300.0)
    text = str(err.value)
    assert f"LEAKKIT_PHASE_TIMEOUT={raw!r}" in text
    assert "\n" not in text
    assert "set it to a number above 0" in text
