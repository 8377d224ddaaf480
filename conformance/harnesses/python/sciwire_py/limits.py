"""Decoder limits of spec/src/limits.md."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SAFE_INTEGER = 2**53 - 1

#: name -> (default, at least, at most or None)
BOUNDS = {
    "max_input_bytes": (268435456, 16777216, None),
    "max_depth": (128, 66, 10000),
    "max_ndim": (64, 32, 64),
    "max_elements": (268435456, 1048576, MAX_SAFE_INTEGER),
    "max_decoded_bytes": (268435456, 16777216, None),
    "max_params_values": (1048576, 65536, 268435456),
}


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input may cost ([limits.configurable]).

    Every limit may be changed within the spec's bounds; a value outside them
    raises ``ValueError``. The conformance harness uses the defaults
    ([limits.conformance-defaults]).
    """

    max_input_bytes: int = 268435456
    max_depth: int = 128
    max_ndim: int = 64
    max_elements: int = 268435456
    max_decoded_bytes: int = 268435456
    max_params_values: int = 1048576

    def __post_init__(self):
        for name, (_default, lo, hi) in BOUNDS.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, not {type(v).__name__}")
            if v < lo:
                raise ValueError(f"{name}={v} is below the least allowed value {lo}")
            if hi is not None and v > hi:
                raise ValueError(f"{name}={v} is above the largest allowed value {hi}")


DEFAULT_LIMITS = Limits()
