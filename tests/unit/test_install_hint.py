"""The install advice for an interpreter without torch fits the platform."""

from __future__ import annotations

from torchpeek.worker.install_hint import CPU_INDEX, install_advice, missing_torch_message

PY = "/home/me/venv/bin/python"


def test_linux_without_gpu_gets_the_cpu_index_and_the_size_difference() -> None:
    advice = install_advice(PY, platform="linux", gpu=False)
    assert f"{PY} -m pip install torch --index-url {CPU_INDEX}" in advice
    assert "190 MB" in advice and "3 GB" in advice


def test_linux_with_an_nvidia_driver_gets_the_default_wheel() -> None:
    advice = install_advice(PY, platform="linux", gpu=True)
    assert advice == f"Install it with: {PY} -m pip install torch"


def test_macos_and_windows_get_the_default_wheel() -> None:
    for platform in ("darwin", "win32"):
        assert CPU_INDEX not in install_advice(PY, platform=platform, gpu=False)


def test_message_names_the_interpreter_and_the_error() -> None:
    text = missing_torch_message(PY, "No module named 'torch'")
    assert text.startswith(f"torch is not installed in {PY} (No module named 'torch').")
    assert f"{PY} -m pip install torch" in text
