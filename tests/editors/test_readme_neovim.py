"""The README's Neovim 0.7 set-up, copied verbatim, in headless Neovim typed into like a user.

The Lua block under "Neovim 0.7" in README.md becomes init.lua with one change the README
asks of every reader: ``/path/to/venv`` is this checkout's ``.venv``. The driver
(nvim/readme_drive.lua) only presses keys and reads the popup and the buffer: the client's
capabilities, the omnifunc, ``K`` and the snippet insertion are all the README's.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import EDITORS_DIR, REPO, EditorRun, make_workdir, require, run_driver

pytestmark = [pytest.mark.editors, pytest.mark.timeout(600)]

WORDS = [
    {"word": "ckpt", "expect": "os.replace(tmp_path, path)"},
    {"word": "seed", "expect": "torch.manual_seed"},
    {"word": "gpu", "expect": "torch.cuda"},
    {"word": "cv2", "expect": "cv2.imread"},
]
SILENT = [
    {"label": "after torch.", "line": "torch."},
    {"label": "after x.view", "line": "x.view"},
    {"label": "after optimizer.zero_grad", "line": "optimizer.zero_grad"},
    {"label": "in a string", "line": 's = "seed'},
    {"label": "in a comment", "line": "# seed"},
    {"label": "in an import", "line": "import seed"},
]


def readme_neovim_07_config(venv_python: Path) -> str:
    """The Lua block that follows the README's Neovim 0.7 sentence, with the venv filled in."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("Neovim 0.7 (Debian bookworm)")
    block = re.search(r"```lua\n(.*?)```", readme[start:], re.DOTALL)
    assert block, "README has no Lua block for Neovim 0.7"
    return block.group(1).replace("/path/to/venv/bin/python", str(venv_python))


@pytest.fixture(scope="module")
def readme_neovim(python: Path, tmp_path_factory: pytest.TempPathFactory) -> EditorRun:
    nvim = shutil.which("nvim")
    require(nvim is not None, "nvim not found (apt-get install -y neovim)")
    workdir = make_workdir(tmp_path_factory.mktemp("readme-neovim"))
    init = workdir / "init.lua"
    init.write_text(readme_neovim_07_config(python), encoding="utf-8")
    config: dict[str, Any] = {
        "words": WORDS,
        "silent": SILENT,
        "startTimeoutMs": 60000,
        "requestTimeoutMs": 15000,
        "quietMs": 1500,
        "hoverText": "^x = torch.zeros",
        "hoverTimeoutMs": 90000,
    }
    driver = EDITORS_DIR / "nvim" / "readme_drive.lua"
    argv = [str(nvim), "--headless", "-u", str(init), "-i", "NONE", "-n", str(workdir / "demo.py")]
    argv += ["-c", f"luafile {driver}"]
    env = {
        name: str(workdir / name.lower())
        for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    }
    return run_driver("neovim-readme", argv, config, workdir, timeout=420, env=env)


def _step(run: EditorRun, name: str) -> dict[str, Any]:
    steps = [s for s in run.result.get("steps", []) if s.get("name") == name]
    assert steps, f"step {name!r} never ran\n{run.explain()}"
    return steps[0]


def test_readme_config_attaches_with_omnifunc(readme_neovim: EditorRun) -> None:
    for name in ("README config attaches torchpeek", "omnifunc set by the README"):
        assert _step(readme_neovim, name)["ok"], readme_neovim.explain()


@pytest.mark.parametrize("case", WORDS, ids=[c["word"] for c in WORDS])
def test_exact_prefix_first_at_every_keystroke_and_accepted(
    readme_neovim: EditorRun, case: dict[str, str]
) -> None:
    word = case["word"]
    shown = readme_neovim.result.get("words", {}).get(word)
    assert shown and len(shown) == len(word), readme_neovim.explain()
    for seen in shown:
        assert seen["count"] > 0 and seen["first"].startswith(seen["typed"]), shown
    assert shown[-1]["first"] == word, shown
    assert _step(readme_neovim, f"accept {word}")["ok"], readme_neovim.explain()


@pytest.mark.parametrize("case", SILENT, ids=[c["label"] for c in SILENT])
def test_no_items_where_no_snippet_belongs(readme_neovim: EditorRun, case: dict[str, str]) -> None:
    step = _step(readme_neovim, f"no items {case['label']}")
    assert step["ok"], f"popup showed: {step.get('detail')}"


def test_k_shows_the_shape(readme_neovim: EditorRun) -> None:
    assert _step(readme_neovim, "K hover")["ok"], readme_neovim.explain()
