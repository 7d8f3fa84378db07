"""The README's Emacs (eglot) set-up, copied verbatim, with completion asked for as company
and corfu ask for it: candidates that match the typed word, in the table's sort order.

The elisp block under "Emacs (eglot)" in README.md becomes init.el with ``/path/to/venv``
pointing at this checkout's ``.venv``; the driver (emacs/readme_drive.el) configures nothing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import EDITORS_DIR, REPO, EditorRun, make_workdir, require, run_driver
from test_readme_neovim import SILENT, WORDS

pytestmark = [pytest.mark.editors, pytest.mark.timeout(600)]


def readme_emacs_config(venv_python: Path) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Emacs (eglot)")
    block = re.search(r"```elisp\n(.*?)```", readme[start:], re.DOTALL)
    assert block, "README has no elisp block for eglot"
    return block.group(1).replace("/path/to/venv/bin/python", str(venv_python))


@pytest.fixture(scope="module")
def readme_emacs(python: Path, tmp_path_factory: pytest.TempPathFactory) -> EditorRun:
    emacs = shutil.which("emacs")
    require(emacs is not None, "emacs not found (apt-get install -y emacs-nox elpa-eglot)")
    workdir = make_workdir(tmp_path_factory.mktemp("readme-emacs"))
    init = workdir / "init.el"
    init.write_text(readme_emacs_config(python), encoding="utf-8")
    config: dict[str, Any] = {
        "file": str(workdir / "demo.py"),
        "words": WORDS,
        "silent": SILENT,
        "startTimeoutMs": 60000,
    }
    driver = EDITORS_DIR / "emacs" / "readme_drive.el"
    # An interactive Emacs activates installed packages (Debian's elpa-eglot) before init;
    # --batch does not, so the command line does that one step of start-up.
    argv = [str(emacs), "--batch", "--eval", "(package-activate-all)"]
    argv += ["-l", str(init), "-l", str(driver)]
    return run_driver(
        "emacs-readme", argv, config, workdir, timeout=420, env={"HOME": str(workdir)}
    )


def _step(run: EditorRun, name: str) -> dict[str, Any]:
    steps = [s for s in run.result.get("steps", []) if s.get("name") == name]
    assert steps, f"step {name!r} never ran\n{run.explain()}"
    return steps[0]


def test_readme_config_connects(readme_emacs: EditorRun) -> None:
    assert _step(readme_emacs, "README config connects eglot")["ok"], readme_emacs.explain()


@pytest.mark.parametrize("case", WORDS, ids=[c["word"] for c in WORDS])
def test_exact_prefix_first_at_every_keystroke_and_accepted(
    readme_emacs: EditorRun, case: dict[str, str]
) -> None:
    word = case["word"]
    shown = readme_emacs.result.get("words", {}).get(word)
    assert shown and len(shown) == len(word), readme_emacs.explain()
    for seen in shown:
        assert seen["count"] > 0 and seen["first"].startswith(seen["typed"]), shown
    assert shown[-1]["first"] == word, shown
    assert _step(readme_emacs, f"accept {word}")["ok"], readme_emacs.explain()


@pytest.mark.parametrize("case", SILENT, ids=[c["label"] for c in SILENT])
def test_no_items_where_no_snippet_belongs(readme_emacs: EditorRun, case: dict[str, str]) -> None:
    step = _step(readme_emacs, f"no items {case['label']}")
    assert step["ok"], f"candidates: {step.get('detail')}"


@pytest.mark.parametrize("letter", ["s", "c", "i", "t"])
def test_one_letter_words_get_a_bounded_list(readme_emacs: EditorRun, letter: str) -> None:
    assert _step(readme_emacs, f"bounded {letter}")["ok"], readme_emacs.explain()
