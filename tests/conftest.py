"""Shared test settings: the timeout unit.

Test modules are imported with ``--import-mode=importlib`` (see pyproject.toml), so two
test files may share a basename in different folders; share helpers through fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

#: Multiply every wait in the tests by this factor on slow machines.
TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


def scaled(seconds: float = 5.0) -> float:
    """A test timeout, scaled by ``LS_TEST_TIMEOUT_SCALE``."""
    return seconds * TIMEOUT_SCALE


@pytest.fixture
def timeout() -> Callable[[float], float]:
    """Return :func:`scaled`: ``timeout(5)`` is five seconds times the scale."""
    return scaled
