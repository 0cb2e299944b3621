"""ARI protocol versions (ARI-PROTOCOL.md §4.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same behaviour, without the memory of dataclasses: see _record.py
    from ._record import dataclass

__all__ = [
    "LATEST",
    "V1_8_0",
    "V1_8_2",
    "V1_8_3",
    "V1_9_0",
    "V1_9_1",
    "ProtocolVersion",
]


@dataclass(frozen=True, order=True)
class ProtocolVersion:
    """A dotted protocol version, compared numerically component by component."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> ProtocolVersion:
        """Parse ``"1.9.1"``; raise :class:`ValueError` for anything else."""
        pieces = text.split(".")
        if len(pieces) < 2 or not all(p.isdigit() and p.isascii() for p in pieces):
            raise ValueError(f"not a protocol version: {text!r}")
        numbers = [int(p) for p in pieces]
        numbers += [0] * (3 - len(numbers))  # "1.9" means 1.9.0
        return cls(tuple(numbers))

    @property
    def smart_encoding(self) -> bool:
        """Whether ordinary packets use the 1.9 ("smart") string encoding."""
        return self.parts >= (1, 9, 0)

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)


V1_8_0 = ProtocolVersion((1, 8, 0))
V1_8_2 = ProtocolVersion((1, 8, 2))
V1_8_3 = ProtocolVersion((1, 8, 3))
V1_9_0 = ProtocolVersion((1, 9, 0))
V1_9_1 = ProtocolVersion((1, 9, 1))
#: The highest version this SDK speaks.
LATEST = V1_9_1
