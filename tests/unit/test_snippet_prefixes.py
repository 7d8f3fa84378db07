"""Typing a prefix that practitioners use puts a snippet that uses the right API first.

Each case is what a user types and a pattern that the first ranked snippet's
inserted code must contain; the ranking is the one the completion list uses.
"""

from __future__ import annotations

import re

import pytest

from tests.worker.preview_support import Variant
from torchpeek.snippets import load_database
from torchpeek.snippets.match import rank_snippets

DB = load_database()

CASES = [
    ("amp", r"torch\.amp\.GradScaler\(\"cuda\"\).*unscale_", re.S),
    ("bf16", r"torch\.autocast\(.*dtype=torch\.bfloat16", re.S),
    ("compile", r"torch\.compile\(.*_orig_mod", re.S),
    ("fit", r"def fit\(.*best_val.*patience", re.S),
    ("clip", r"clip_grad_norm_", 0),
    ("sdpa", r"F\.scaled_dot_product_attention", 0),
    ("ddp", r"DistributedSampler.*set_epoch.*destroy_process_group", re.S),
    ("fsdp", r"fully_shard", 0),
    ("ema", r"AveragedModel\(.*get_ema_multi_avg_fn", re.S),
    ("export", r"torch\.export\.export\(", 0),
    ("onnx", r"torch\.onnx\.export\(.*dynamo=True", re.S),
    ("profiler", r"torch\.profiler|from torch\.profiler|profile\(", 0),
    ("channels_last", r"memory_format=torch\.channels_last", 0),
    ("collate", r"pad_sequence", 0),
    ("imagefolder", r"datasets\.ImageFolder", 0),
    ("tensorboard", r"SummaryWriter\(", 0),
    ("plateau", r"ReduceLROnPlateau", 0),
    ("onecycle", r"OneCycleLR", 0),
    ("hook", r"register_forward_hook", 0),
    ("checkpointing", r"checkpoint\(.*use_reentrant=False", re.S),
    ("fromnumpy", r"torch\.from_numpy", 0),
    ("tonumpy", r"\.detach\(\)\.cpu\(\)\.numpy\(\)", 0),
    ("torchinfo", r"register_forward_hook|summary", 0),
    ("gpumem", r"memory_allocated", 0),
    ("ckpt", r"\"state_dict\"", 0),
]


@pytest.mark.parametrize(("typed", "pattern", "flags"), CASES, ids=[c[0] for c in CASES])
def test_typed_prefix_ranks_the_right_api_first(typed: str, pattern: str, flags: int) -> None:
    ranked = rank_snippets(typed, DB.snippets.values())
    assert ranked, f"nothing matches {typed!r}"
    first = ranked[0][0]
    code = "\n".join([*first.imports, Variant("default", {}, {}).code(first)])
    assert re.search(pattern, code, flags), f"{typed!r} ranks {first.id} first"
