"""The documentation in doc/ keeps up with the code.

The Sphinx builds of ``.ci/run`` check the pages themselves (warnings are errors, and
every code snippet runs under the doctest builder). These tests check what a build
cannot notice: a public module missing from the API reference, a logger name or an
example file cited by the guides that no longer exists.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import lightstreamer_adapter

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
PACKAGE = ROOT / "lightstreamer_adapter"

_AUTO_DIRECTIVE = re.compile(
    r"^\s*\.\. auto(module|class|exception|function|data)::\s+(\S+)", re.MULTILINE
)


def _pages() -> list[Path]:
    return sorted(DOC.rglob("*.rst"))


def _documented() -> tuple[set[str], set[str]]:
    """The modules and the objects named by autodoc directives in the pages."""
    modules: set[str] = set()
    objects: set[str] = set()
    for page in _pages():
        for kind, target in _AUTO_DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            (modules if kind == "module" else objects).add(target)
    return modules, objects


def _public_modules() -> list[str]:
    names = [lightstreamer_adapter.__name__]
    for info in pkgutil.walk_packages(
        lightstreamer_adapter.__path__, lightstreamer_adapter.__name__ + "."
    ):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        names.append(info.name)
    return names


def test_the_pages_exist() -> None:
    assert (DOC / "conf.py").is_file()
    assert len(_pages()) > 20


def test_every_public_module_is_in_the_api_reference() -> None:
    # A module counts as documented when it has an automodule directive, or when every
    # name of its __all__ is documented elsewhere (re-exported by a parent package).
    modules, objects = _documented()
    documented_names = {target.rsplit(".", 1)[-1] for target in objects}
    missing = []
    for name in _public_modules():
        if name in modules:
            continue
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported and all(export in documented_names for export in exported):
            continue
        missing.append(name)
    assert not missing, f"public modules missing from doc/reference: {missing}"


def test_documented_modules_exist() -> None:
    modules, _ = _documented()
    for name in sorted(modules):
        importlib.import_module(name)


def test_logger_names_in_the_logging_guide_exist_in_the_code() -> None:
    guide = (DOC / "howto" / "logging.rst").read_text(encoding="utf-8")
    cited = set(re.findall(r"``(lightstreamer-adapter\.[\w.-]+)``", guide))
    assert len(cited) >= 7
    source = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py"))
    missing = sorted(name for name in cited if f'"{name}"' not in source)
    assert not missing, f"logger names documented but not used by the package: {missing}"


def test_files_cited_by_the_pages_exist() -> None:
    cited = set()
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        cited.update(re.findall(r"``((?:examples|doc)/[\w/.-]+\.(?:py|xml|example))``", text))
        cited.update(re.findall(r"``(adapters\.xml\.example)``", text))
    assert cited
    missing = sorted(path for path in cited if not (ROOT / path).is_file())
    assert not missing, f"files named by the documentation do not exist: {missing}"
