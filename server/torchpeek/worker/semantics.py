"""What a preview changes about the program it runs, so training scripts preview in a sandbox.

- the document runs as ``__main__`` with ``sys.argv = [path]``, so ``argparse``
  sees no command-line arguments and uses its defaults;
- its folder, the workspace folders and their ``src/`` come first on ``sys.path``;
- ``DataLoader`` workers run in-process (``num_workers=0``): a preview may not
  start processes;
- ``torch.compile``, ``torch.jit.script`` and ``torch.jit.trace`` return the
  eager function or module (a compiled copy would never reach the hovered line);
- pretrained weights that cannot be fetched leave the model randomly
  initialised, with a note (shapes do not depend on the weights);
- it runs in its private scratch directory, which holds a link to every entry
  of the document's folder: relative reads (``data/train.csv``,
  ``torch.load("ckpt.pt")``) find the user's files, new files land in the
  scratch directory, and writing into the user's files fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import torch

MAX_LINKS = 1000


def package_of(filename: str) -> tuple[str | None, str | None]:
    """The package a file belongs to and that package's root folder, as for ``python -m``.

    ``/ws/models/vit.py`` beside ``/ws/models/__init__.py`` is ``models`` with
    root ``/ws``, so ``from .layers import Block`` works in a preview.
    """
    if not os.path.isabs(filename):
        return None, None
    folder = os.path.dirname(filename)
    parts: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parts.insert(0, os.path.basename(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    if not parts:
        return None, None
    return ".".join(parts), folder


def mirror_folder(folder: str) -> None:
    """Link each entry of ``folder`` into the current (scratch) directory."""
    if not folder or not os.path.isdir(folder):
        return
    try:
        names = os.listdir(folder)[:MAX_LINKS]
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.symlink(os.path.join(folder, name), name)


class RandomWeights(dict[str, Any]):
    """Stands in for a state dict that could not be downloaded."""


class Notes:
    """Things the preview changed that the hover should mention."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


def _argparse_error(self: Any, message: str) -> None:
    raise SystemExit(f"argparse: {message} (a preview runs without command-line arguments)")


def _eager(notes: Notes, name: str) -> Any:
    """``name`` handing back what it was given (``@torch.compile(mode=...)`` included)."""

    def eager(obj: Any = None, *args: Any, **kwargs: Any) -> Any:
        notes.add(f"`{name}` returns the eager code in a preview")
        return (lambda fn: fn) if obj is None else obj

    return eager


def _random_weights(notes: Notes) -> Any:
    def random_weights(url: str) -> RandomWeights:
        name = os.path.basename(str(url))
        notes.add(
            f"pretrained weights `{name}` are not fetched in a preview: random initialisation"
        )
        return RandomWeights()

    return random_weights


def _without_download(url: str, *args: Any, **kwargs: Any) -> Any:
    return _torchpeek_random_weights(url)  # type: ignore[name-defined]  # noqa: F821


@contextlib.contextmanager
def _no_download(notes: Notes) -> Iterator[None]:
    """Make ``torch.hub.load_state_dict_from_url`` hand back random weights.

    Libraries import that function by name (torchvision does), so its code is
    swapped in place rather than the module attribute; the replacement looks
    up ``_torchpeek_random_weights`` in ``torch.hub``'s own globals.
    """
    import torch.hub

    function = torch.hub.load_state_dict_from_url
    saved = function.__code__, function.__defaults__, function.__kwdefaults__
    torch.hub._torchpeek_random_weights = _random_weights(notes)  # type: ignore[attr-defined]
    function.__code__, function.__defaults__, function.__kwdefaults__ = (
        _without_download.__code__,
        None,
        None,
    )
    try:
        yield
    finally:
        function.__code__, function.__defaults__, function.__kwdefaults__ = saved


def _patched_load_state_dict(original: Any) -> Any:
    def load_state_dict(self: torch.nn.Module, state_dict: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(state_dict, RandomWeights):
            return torch.nn.modules.module._IncompatibleKeys([], [])
        return original(self, state_dict, *args, **kwargs)

    return load_state_dict


def _in_process_loader(original: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if kwargs.get("num_workers"):
            kwargs["num_workers"] = 0
            kwargs.pop("prefetch_factor", None)
            kwargs.pop("persistent_workers", None)
        original(self, *args, **kwargs)

    return __init__


def _real_sampling(original: Any) -> Any:
    """Sample indices with real tensors: shuffling needs values, which fake tensors lack."""

    def __iter__(self: Any) -> Iterator[Any]:  # noqa: N807
        from torch._subclasses.fake_tensor import unset_fake_temporarily

        with unset_fake_temporarily():
            indices = list(original(self))
        yield from indices

    return __iter__


def _real_seed(original: Any) -> Any:
    """A loader iterator draws its base seed as a value: draw it with real tensors."""

    def __init__(self: Any, loader: Any) -> None:  # noqa: N807
        from torch._subclasses.fake_tensor import unset_fake_temporarily

        with unset_fake_temporarily():
            original(self, loader)

    return __init__


@contextlib.contextmanager
def _swap(owner: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, old)


def _keep(tensor: Any, *args: Any, **kwargs: Any) -> Any:
    return tensor


@contextlib.contextmanager
def _no_weight_init() -> Iterator[None]:
    """On fake tensors, initialising weights only costs time: values do not exist there."""
    import torch.nn.init as init

    names = [n for n in dir(init) if n.endswith("_") and not n.startswith("_")]
    saved = {name: getattr(init, name) for name in names}
    for name in names:
        setattr(init, name, _keep)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(init, name, function)


@contextlib.contextmanager
def preview_semantics(
    filename: str, paths: tuple[str, ...], notes: Notes, fake: bool = False
) -> Iterator[None]:
    """Apply the preview's rules for the duration of one run."""
    import torch.hub
    import torch.utils.data

    loader = torch.utils.data.DataLoader
    with contextlib.ExitStack() as stack:
        if fake:
            stack.enter_context(_no_weight_init())
        stack.enter_context(_swap(sys, "argv", [filename]))
        stack.enter_context(_swap(sys, "path", [*paths, *sys.path]))
        stack.enter_context(_swap(argparse.ArgumentParser, "error", _argparse_error))
        stack.enter_context(_swap(torch, "compile", _eager(notes, "torch.compile")))
        stack.enter_context(_swap(torch.jit, "script", _eager(notes, "torch.jit.script")))
        stack.enter_context(_swap(torch.jit, "trace", _eager(notes, "torch.jit.trace")))
        stack.enter_context(_no_download(notes))
        stack.enter_context(
            _swap(
                torch.nn.Module,
                "load_state_dict",
                _patched_load_state_dict(torch.nn.Module.load_state_dict),
            )
        )
        stack.enter_context(_swap(loader, "__init__", _in_process_loader(loader.__init__)))
        base = torch.utils.data.dataloader._BaseDataLoaderIter
        stack.enter_context(_swap(base, "__init__", _real_seed(base.__init__)))
        sampler = torch.utils.data.RandomSampler
        stack.enter_context(_swap(sampler, "__iter__", _real_sampling(sampler.__iter__)))
        yield
