"""Numba's cache of the ISS never serves code compiled from other sources: every entry's
stamp covers each module compiled into the ISS (simulator/jitcache.py), and that list
is every module the compiled code imports."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from chainrv import ROOT
from simulator import csrfile, decoder, jitcache, loop


def _path(root: Path, module: str) -> Path:
    return root / (module.replace(".", "/") + ".py")


def _imports(module: str) -> set[str]:
    """The project modules (isa.*, simulator.*) that ``module`` imports."""
    package = module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(_path(ROOT, module).read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package if node.level else node.module or ""
            base = f"{base}.{node.module}" if node.level and node.module else base
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if _path(ROOT, sub).is_file() else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] in ("isa", "simulator") and "." in m}


def test_compiled_modules_are_what_the_loop_imports() -> None:
    seen, todo = set(), ["simulator.loop"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(module))
    assert seen == set(jitcache.COMPILED_MODULES)


@pytest.mark.parametrize("function", [loop.run_fast, loop.run_trace, csrfile.csr_read, decoder.decode_into],
                         ids=lambda f: f.py_func.__name__)
def test_every_entry_is_stamped_with_the_sources(function: object) -> None:
    stamp = function._cache._cache_file._source_stamp  # type: ignore[attr-defined]
    assert stamp[1] == jitcache._DIGEST


@pytest.mark.parametrize("module", jitcache.COMPILED_MODULES)
def test_a_changed_source_changes_the_stamp(module: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in jitcache.COMPILED_MODULES:
        _path(tmp_path, name).parent.mkdir(exist_ok=True)
        shutil.copy(_path(ROOT, name), _path(tmp_path, name))
    monkeypatch.setattr(jitcache, "_ROOT", tmp_path)
    assert jitcache._sources_digest() == jitcache._DIGEST
    with _path(tmp_path, module).open("a") as f:
        f.write("\n# changed\n")
    assert jitcache._sources_digest() != jitcache._DIGEST
