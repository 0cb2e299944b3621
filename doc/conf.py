"""Sphinx configuration of the lightstreamer_adapter documentation.

Built by ``.ci/run`` with warnings as errors, both as HTML and with the doctest builder
(every ``testcode``/``doctest`` block of the pages runs against the package). No
extension or theme beyond what Sphinx ships, and nothing fetched from the network.
"""

from __future__ import annotations

import os
import sys

# The docs document the checkout they live in, installed or not.
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

import lightstreamer_adapter  # noqa: E402 - after the sys.path change

project = "lightstreamer_adapter"
author = "The lightstreamer_adapter authors"
copyright = "the lightstreamer_adapter authors"
release = lightstreamer_adapter.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path: list[str] = []

html_theme = "alabaster"
html_theme_options = {
    "description": "Remote Adapters for Lightstreamer in Python",
    "fixed_sidebar": True,
}
html_title = f"lightstreamer_adapter {release}"

# Google-style docstrings everywhere (STYLE.md).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = False
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}

nitpicky = False

# Every doctest starts from a clean slate; the timeout unit follows the test suite's
# LS_TEST_TIMEOUT_SCALE so slow machines can stretch it.
doctest_global_setup = f"""
import logging
import os
# The examples log warnings on purpose (refused subscriptions...): keep them off stderr.
_package_logger = logging.getLogger("lightstreamer-adapter")
if not _package_logger.handlers:
    _package_logger.addHandler(logging.NullHandler())
TIMEOUT = 5.0 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
EXAMPLES = {os.path.join(ROOT, "examples")!r}
DOC_DIR = {os.path.join(ROOT, "doc", "howto")!r}
"""
# ">>>" examples in the docstrings shown by autodoc run too.
doctest_test_doctest_blocks = "default"


def _command_help(arguments: list[str]) -> str:
    """The ``--help`` text of ``python -m lightstreamer_adapter [command]``, 88 columns."""
    import contextlib
    import io

    from lightstreamer_adapter.__main__ import main

    output = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"
    try:
        with contextlib.redirect_stdout(output):
            try:
                main([*arguments, "--help"])
            except SystemExit:
                pass
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return output.getvalue().rstrip()


def setup(app):  # type: ignore[no-untyped-def]
    """Register ``.. command-help:: [command]``: the CLI's help, taken from the code."""
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class CommandHelp(SphinxDirective):
        optional_arguments = 1

        def run(self) -> list[nodes.Node]:
            try:
                text = _command_help(list(self.arguments))
            except Exception as exc:  # the docs must follow the code: fail the build
                raise self.error(f"cannot get the command line help: {exc!r}") from exc
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            return [block]

    app.add_directive("command-help", CommandHelp)
    return {"parallel_read_safe": True}
