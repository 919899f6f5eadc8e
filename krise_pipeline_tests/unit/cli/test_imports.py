"""The package's imports sit at the top of its modules: one inside a function only where it defers a
heavy optional import (Dagster for the light commands, pandera until a model is needed, ...), a few
in the whole package, each with its reason next to it."""

from __future__ import annotations

import ast
import io
import re
import tokenize

from krise_pipeline_tests.support.paths import REPO

PACKAGE = REPO / "krise_pipeline"
MOST_DEFERRED = 10
REASON_WORDS = 3  # a comment that says why, not a bare marker
MARKERS = re.compile(r"noqa(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(?:\[[^]]*\])?")


def _is_package_import(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "krise_pipeline"
    return isinstance(node, ast.Import) and any(a.name.split(".")[0] == "krise_pipeline" for a in node.names)


def deferred_imports(source: str) -> list[ast.stmt]:
    """The imports of the package's own modules inside a function body, in the order of the text."""
    found: dict[int, ast.stmt] = {}
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if _is_package_import(node):
                    assert isinstance(node, ast.stmt)
                    found[node.lineno] = node
    return [found[line] for line in sorted(found)]


def comments(source: str) -> dict[int, tuple[str, bool]]:
    """Line number -> (the comment on it without `noqa`/`type: ignore` markers, which give no reason;
    whether the comment is the whole line)."""
    out: dict[int, tuple[str, bool]] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            text = MARKERS.sub("", token.string.lstrip("#")).strip("():; ")
            out[token.start[0]] = (text, token.line.lstrip().startswith("#"))
    return out


def unexplained(source: str) -> list[int]:
    """The lines of deferred imports with no reason on their lines or in a comment line just above."""
    said = comments(source)
    missing = []
    for node in deferred_imports(source):
        own = [said.get(line, ("", False))[0] for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)]
        above, whole_line = said.get(node.lineno - 1, ("", False))
        if not any(len(text.split()) >= REASON_WORDS for text in [*own, above if whole_line else ""]):
            missing.append(node.lineno)
    return missing


def test_the_walk_finds_imports_inside_functions_and_their_reasons() -> None:
    source = ("from krise_pipeline import settings\n"
              "def f():\n"
              "    # Dagster (~1 s): only when a job runs\n"
              "    from krise_pipeline.cli import orchestrated\n"
              "    import json\n"
              "    from . import sibling  # relative, the same package\n"
              "    import krise_pipeline.definitions  # noqa: F401\n"
              "    import krise_pipeline.steps  # noqa: F401  (built here, for gc.freeze)\n"
              "    def inner():\n"
              "        from krise_pipeline_tests import x\n"
              "        from krise_pipeline.validated import (\n"
              "            models)  # pandera until a file is judged\n")
    assert [n.lineno for n in deferred_imports(source)] == [4, 6, 7, 8, 11]
    assert unexplained(source) == [7]


def test_few_imports_inside_functions_each_with_its_reason() -> None:
    deferred: list[str] = []
    missing: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(REPO)
        deferred += [f"{name}:{n.lineno}: {ast.unparse(n)}" for n in deferred_imports(source)]
        missing += [f"{name}:{line}" for line in unexplained(source)]
    assert len(deferred) <= MOST_DEFERRED, "\n".join(deferred)
    assert missing == [], "deferred imports without a reason on their line or the line above"
