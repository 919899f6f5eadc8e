"""The layout is the architecture: one package per layer, imports in one direction, no cycle.

The layers contract itself lives in pyproject.toml (`[tool.importlinter]`, run by `make lint`);
these tests hold the package to it and show that it catches a backwards import.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from krise_pipeline_tests.support.paths import REPO

PACKAGE = REPO / "krise_pipeline"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contract() -> dict[str, object]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return dict(layers)


def layer_names() -> list[str]:
    return [str(name).strip("()").removeprefix("krise_pipeline.") for name in contract()["layers"]]  # type: ignore[attr-defined]


def test_every_top_level_module_and_package_is_a_layer_and_at_most_eight_modules() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert packages | (modules - {"__init__"}) <= set(layer_names())
    assert len(modules) <= 8, sorted(modules)


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("krise_pipeline")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                cycles.append((module, imported))
    assert cycles == []


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_contract_keeps_the_package_and_refuses_a_backwards_import(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "krise_pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = lint(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "1 kept, 0 broken" in kept.stdout
    # the codebook (metadata) reaching up to the exports: refused, with the chain named
    codebook = tmp_path / "krise_pipeline" / "metadata" / "codebook.py"
    codebook.write_text(codebook.read_text(encoding="utf-8") + "\nfrom krise_pipeline.exports import charts\n",
                        encoding="utf-8")
    broken = lint(tmp_path)
    assert broken.returncode == 1
    assert "krise_pipeline.metadata.codebook -> krise_pipeline.exports.charts" in broken.stdout


def test_the_readme_layout_is_the_folder_tree() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- layout:", 1)[1].split("```", 2)[1]
    entries: dict[str, list[str]] = {}
    current = ""
    for line in block.splitlines():
        top = re.match(r"^[├└]── (\S+)", line)
        if top:
            current = top.group(1)
            entries[current] = []
        if current:
            entries[current] += re.findall(r"\b(\w+(?:/\*)?\.(?:py|sql|csv|yaml))\b", line.split(current, 1)[-1])
    tree = {f"{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() or p.name == "data"}
    tree |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert set(entries) == tree
    for entry, named in entries.items():
        if entry.endswith("/") and entry != "data/":
            for name in named:  # every module the README names is in that package
                assert list((PACKAGE / entry).glob(name)), f"README names {entry}{name}, which does not exist"
