"""Read pprof profiles and report on them with the semantics of `go tool pprof`.

Only this package touches protobuf messages; callers get the resolved model.
"""

from kit.pprof.decode import decode_profile, load_profile
from kit.pprof.model import Function, Line, Location, Mapping, Profile, Sample, ValueType
from kit.pprof.report import SourceFunction, TopOptions, TopReport, TopRow, source, top

__all__ = [
    "Function",
    "Line",
    "Location",
    "Mapping",
    "Profile",
    "Sample",
    "SourceFunction",
    "TopOptions",
    "TopReport",
    "TopRow",
    "ValueType",
    "decode_profile",
    "load_profile",
    "source",
    "top",
]
