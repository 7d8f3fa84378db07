"""A non-editable install works: build the wheel, install it into a fresh venv outside the repo."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_the_database(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("torchpeek-*.whl"))
    env = tmp_path / "venv"
    venv.create(env, with_pip=True, system_site_packages=False)
    python = env / "bin" / "python"
    # Dependencies come from the running interpreter's site-packages (no network needed).
    site = next(p for p in sys.path if p.endswith("site-packages"))
    target_site = next((env / "lib").glob("python*/site-packages"))
    (target_site / "deps.pth").write_text(site + "\n", encoding="utf-8")
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        timeout=300,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    check = subprocess.run(
        [env / "bin" / "torchpeek", "check"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    listing = subprocess.run(
        [env / "bin" / "torchpeek", "list"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "seed-everything" in listing.stdout and "cv2-image-to-nchw-tensor" in listing.stdout
    where = subprocess.run(
        [python, "-c", "import torchpeek.snippets as s; print(s.builtin_db_path())"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert str(ROOT) not in where.stdout and "_db" in where.stdout
