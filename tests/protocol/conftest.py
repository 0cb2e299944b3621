"""Make the shared wire vectors (``vectors.py``) importable from the protocol tests.

Tests are imported with ``--import-mode=importlib`` and have no ``__init__.py`` files, so
this folder is put on ``sys.path`` for ``import vectors``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
