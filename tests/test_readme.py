"""The Python snippets of README.rst run: the adapter walkthrough and its simulator test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.rst"


def python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text)
    return ["\n".join(line[3:] for line in block.splitlines()) for block in blocks]


def test_walkthrough_adapter_passes_the_readme_simulator_test() -> None:
    adapter_block, test_block = python_blocks()
    # The walkthrough ends by connecting to a real Server: keep only the adapter class.
    adapter_code = adapter_block.split("\n\nserver = DataProviderServer(")[0]
    namespace: dict[str, Any] = {}
    exec(compile(adapter_code, "README.rst", "exec"), namespace)
    exec(compile(test_block, "README.rst", "exec"), namespace)
    namespace["test_greetings"]()
