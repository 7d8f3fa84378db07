"""Regression tests for snippets that once taught a bug: each runs the body on the case it got wrong.

Every test inserts a snippet the way a user would (defaults, or the parameter
values named) after a setup that reproduces the situation, and runs it in the
real sandboxed worker. The fixture setups here provide data and models only,
never an import the body needs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from tests.worker.preview_support import Variant, Worker
from torchpeek.snippets import load_database

DB = load_database()


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def run(
    worker: Worker, snippet_id: str, setup: str, after: str, expr: str, **values: object
) -> dict:
    """``setup``, the snippet's imports and body (with ``values``), ``after``; show ``expr``."""
    snippet = DB.snippets[snippet_id]
    body = Variant("test", dict(values), {}).code(snippet)
    code = "\n".join([setup, *snippet.imports, body, after, ""])
    return worker.run(code, f"str({expr})")


def value_of(result: dict) -> str:
    """The ``str()`` of the value a :func:`run` showed."""
    assert result["ok"], result.get("error")
    return ast.literal_eval(result["value"]["value"])


SAMPLE_MODEL = """
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
sample = torch.randn(6)
"""


def test_single_sample_prediction_is_deterministic_with_batchnorm(worker: Worker) -> None:
    after = "first = out.clone()\nexec(_body)\nsame = bool(torch.equal(first, out))"
    snippet = DB.snippets["tensor-single-sample-batch"]
    body = Variant("test", {}, {}).code(snippet)
    code = "\n".join([SAMPLE_MODEL, f"_body = {body!r}", *snippet.imports, body, after, ""])
    result = worker.run(code, "str(same)")
    assert value_of(result) == "True"


def test_seed_everything_with_loader_runs_in_a_fresh_file(worker: Worker) -> None:
    setup = "import torch\nfrom torch.utils.data import TensorDataset\n"
    setup += "dataset = TensorDataset(torch.randn(8, 3), torch.zeros(8))"
    result = run(worker, "seed-everything", setup, "n = len(loader)", "n", loader=True)
    assert value_of(result) == "1"


def test_tonumpy_and_fromnumpy_share_memory(worker: Worker) -> None:
    setup = "import torch\nt = torch.zeros(3)"
    after = "t[0] = 5.0\nshared = float(a[0])"
    assert value_of(run(worker, "tensor-to-numpy", setup, after, "shared")) == "5.0"
    setup = "import numpy as np\narray = np.zeros(3, dtype=np.float32)"
    after = "array[1] = 7.0\nshared = float(t[1])"
    assert value_of(run(worker, "tensor-from-numpy", setup, after, "shared")) == "7.0"


def test_the_graph_keeping_outputs_snippet_is_gone() -> None:
    assert "tensor-outputs-to-numpy" not in DB.snippets


CHECKPOINT_SETUP = """
import inspect
import numpy as np
import torch
from torch import nn
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""
# The metric's keyword in save_checkpoint (older bodies called it best_metric).
METRIC = """
_kw = "best_val" if "best_val" in inspect.signature(save_checkpoint).parameters else "best_metric"
"""


def test_checkpoint_with_a_numpy_metric_loads_with_weights_only(worker: Worker) -> None:
    after = (
        METRIC + 'save_checkpoint("c.pt", model, optimizer, epoch=1, **{_kw: np.float64(0.5)})\n'
        'resumed = load_checkpoint("c.pt", model, optimizer)'
    )
    result = run(worker, "checkpoint-save-resume-functions", CHECKPOINT_SETUP, after, "resumed")
    assert value_of(result) == "(2, 0.5)"


def test_checkpoint_of_a_compiled_model_loads_into_a_plain_one(worker: Worker) -> None:
    after = (
        "compiled = torch.compile(model)\n"
        + METRIC
        + 'save_checkpoint("c.pt", compiled, optimizer, epoch=0, **{_kw: 0.1})\n'
        "fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        'load_checkpoint("c.pt", fresh)\n'
        "same = bool(torch.equal(fresh[0].weight, model[0].weight))"
    )
    result = run(worker, "checkpoint-save-resume-functions", CHECKPOINT_SETUP, after, "same")
    assert value_of(result) == "True"


def test_checkpoint_dict_of_a_compiled_model_has_plain_keys(worker: Worker) -> None:
    setup = CHECKPOINT_SETUP + (
        "model = torch.compile(model)\nscheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1)\n"
        "epoch, best_val = 2, np.float32(0.25)\nbest_metric = best_val"
    )
    after = 'saved = torch.load("checkpoint.pt", weights_only=True)\n'
    after += 'keys = sorted(saved.get("state_dict") or saved["model"])[0]'
    assert value_of(run(worker, "checkpoint-save-dict", setup, after, "keys")) == "0.bias"


def test_checkpoint_saves_on_rank_zero_only(worker: Worker) -> None:
    pg = (
        "import os\nimport torch.distributed as _dist\n"
        "from torch.testing._internal.distributed.fake_pg import FakeStore\n"
        "if not _dist.is_initialized():\n"
        '    _dist.init_process_group("fake", store=FakeStore(), rank=1, world_size=2)\n'
    )
    after = (
        METRIC + 'save_checkpoint("rank1.pt", model, optimizer, epoch=0, **{_kw: 0.0})\n'
        'written = os.path.exists("rank1.pt")\n_dist.destroy_process_group()'
    )
    result = run(
        worker, "checkpoint-save-resume-functions", CHECKPOINT_SETUP + pg, after, "written"
    )
    assert value_of(result) == "False"


def test_checkpoint_loaders_read_the_seed_format(worker: Worker) -> None:
    seed_file = CHECKPOINT_SETUP + (
        'torch.save({"epoch": 3, "state_dict": model.state_dict(), "optimizer":'
        ' optimizer.state_dict(), "lr": 0.1, "best_val": 0.8}, "seed.pt")\n'
    )
    after = 'resumed = load_checkpoint("seed.pt", model, optimizer)'
    result = run(worker, "checkpoint-save-resume-functions", seed_file, after, "resumed")
    assert value_of(result) == "(4, 0.8)"
    setup = seed_file + 'device = "cpu"\nimport shutil\nshutil.copy("seed.pt", "checkpoint.pt")'
    assert run(worker, "checkpoint-load-weights", setup, "", "model")["ok"]
    setup += "\nscheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1)\nnum_epochs = 5"
    setup += '\ntorch.save({**torch.load("seed.pt"), "scheduler": scheduler.state_dict()},'
    setup += ' "checkpoint.pt")'
    assert value_of(run(worker, "checkpoint-resume-training", setup, "", "best_val")) == "0.8"


ACCUM_SETUP = """
import torch
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
model = torch.nn.Linear(3, 1, bias=False)
criterion = torch.nn.MSELoss()
device = torch.device("cpu")
data = TensorDataset(torch.randn(10, 3), torch.randn(10, 1))
train_loader = DataLoader(data, batch_size=1)
steps = []


class Recorder(torch.optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, {})

    def step(self, closure=None):
        steps.append(model.weight.grad.clone())


optimizer = Recorder(model.parameters())
"""

ACCUM_CHECK = """
def mean_grad(rows):
    model.zero_grad()
    x, y = data[rows[0]:rows[-1] + 1]
    criterion(model(x), y).backward()
    return model.weight.grad.clone()


last_ok = bool(torch.allclose(steps[-1], mean_grad([8, 9]), atol=1e-6))
first_ok = bool(torch.allclose(steps[0], mean_grad([0, 1, 2, 3]), atol=1e-6))
both = (len(steps), first_ok, last_ok)
"""


def test_gradient_accumulation_averages_the_last_partial_window(worker: Worker) -> None:
    result = run(worker, "grad-accumulation", ACCUM_SETUP, ACCUM_CHECK, "both")
    assert value_of(result) == "(3, True, True)"


def test_ddp_setup_has_every_part() -> None:
    code = Variant("default", {}, {}).code(DB.snippets["ddp-setup"])
    for part in ("DistributedSampler", "set_epoch", "get_rank() == 0", "destroy_process_group",
                 "device_id="):  # fmt: skip
        assert part in code, part


def test_dataloader_workers_are_counted_per_rank(worker: Worker) -> None:
    setup = (
        "import torch\nimport os\nfrom torch.utils.data import TensorDataset\n"
        "train_dataset = TensorDataset(torch.randn(64, 3), torch.zeros(64))\n"
        "os.cpu_count = lambda: 16\n"
        'os.environ["LOCAL_WORLD_SIZE"] = "8"\n'
    )
    result = run(worker, "dataloader-workers", setup, "", "num_workers")
    assert value_of(result) == "2"


def test_collect_predictions_restores_training_mode(worker: Worker) -> None:
    setup = (
        "import torch\ndevice = 'cpu'\nmodel = torch.nn.Linear(5, 3)\nmodel.train()\n"
        "loader = [(torch.randn(4, 5), torch.zeros(4))]"
    )
    result = run(worker, "collect-predictions-numpy", setup, "mode = model.training", "mode")
    assert value_of(result) == "True"
