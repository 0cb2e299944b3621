"""Shared test settings: the timeout unit and logging hygiene."""

from __future__ import annotations

import os

#: Multiply every wait in the tests by this factor on slow machines.
TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


def timeout(seconds: float = 5.0) -> float:
    """A test timeout, scaled by ``LS_TEST_TIMEOUT_SCALE``."""
    return seconds * TIMEOUT_SCALE
