"""Value formatting with pprof's units and rounding (measurement.ScaledLabel, Percentage)."""

from __future__ import annotations

_UNIT_TYPES: tuple[tuple[tuple[str, tuple[str, ...], float], ...], ...] = (
    (
        ("B", ("b", "byte"), 1.0),
        ("kB", ("kb", "kbyte", "kilobyte"), float(1 << 10)),
        ("MB", ("mb", "mbyte", "megabyte"), float(1 << 20)),
        ("GB", ("gb", "gbyte", "gigabyte"), float(1 << 30)),
        ("TB", ("tb", "tbyte", "terabyte"), float(1 << 40)),
        ("PB", ("pb", "pbyte", "petabyte"), float(1 << 50)),
    ),
    (
        ("ns", ("ns", "nanosecond"), 1.0),
        ("us", ("μs", "us", "microsecond"), 1e3),
        ("ms", ("ms", "millisecond"), 1e6),
        ("s", ("s", "sec", "second"), 1e9),
        ("hrs", ("hour", "hr"), 3600e9),
    ),
)
_DEFAULT_UNIT = {0: ("B", 1.0), 1: ("s", 1e9)}


def _sniff(units: tuple[tuple[str, tuple[str, ...], float], ...], unit: str) -> float | None:
    unit = unit.lower()
    if len(unit) > 2:
        unit = unit.removesuffix("s")
    for _, aliases, factor in units:
        if unit in aliases:
            return factor
    return None


def scale(value: int, from_unit: str, to_unit: str = "auto") -> tuple[float, str]:
    """Convert `value` in `from_unit` to `to_unit` ("auto" picks the largest unit >= 1)."""
    if value < 0:
        v, u = scale(-value, from_unit, to_unit)
        return -v, u
    for index, units in enumerate(_UNIT_TYPES):
        factor = _sniff(units, from_unit)
        if factor is None:
            continue
        v = float(value) * factor
        if to_unit in ("auto", "minimum"):
            best, name = 0.0, ""
            for uname, _, ufactor in units:
                if ufactor >= best and v / ufactor >= 1.0:
                    best, name = ufactor, uname
            if best:
                return v / best, name
            dname, dfactor = _DEFAULT_UNIT[index]
            return v / dfactor, dname
        target = _sniff(units, to_unit)
        if target is None:
            dname, dfactor = _DEFAULT_UNIT[index]
            return v / dfactor, dname
        name = next(u for u, _, f in units if f == target)
        return v / target, name
    if to_unit in ("count", "sample", "unit", "minimum", "auto"):
        return float(value), ""
    return float(value), to_unit


def format_value(value: int, unit: str, to_unit: str = "auto") -> str:
    """A value as pprof prints it: two decimals at most, `.00` trimmed, unit appended."""
    v, u = scale(value, unit, to_unit)
    text = f"{v:.2f}".removesuffix(".00")
    if text in ("0", "-0"):
        return "0"
    return text + u


def percentage(value: int, total: int) -> str:
    """`value` as a share of `total`, formatted as pprof's columns format it."""
    ratio = abs(value / total) * 100 if total else 0.0
    if 99.95 <= ratio <= 100.05:
        return "  100%"
    if ratio >= 1.0:
        return f"{ratio:5.2f}%"
    return _go_g(ratio) + "%"


def _go_g(ratio: float) -> str:
    # Go's %5.2g: two significant digits, shortest form, right-aligned in five columns.
    text = f"{ratio:.2g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{exp[0]}{int(exp[1:]):02d}"
    return f"{text:>5}"
