import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { doctorMarkdown, doctorSummary, previewSummary, statusView } from "../presentation";

describe("statusView", () => {
  it("shows each server state", () => {
    assert.match(statusView({ state: "warming" }).text, /warming up/);
    assert.equal(statusView({ state: "ready" }).text, "$(check) torchpeek");
    assert.match(statusView({ state: "ready", simulatedGpu: true }).text, /simulated GPU/);
    assert.equal(statusView({ state: "error", detail: "boom" }).severity, "error");
    assert.match(statusView({ state: "error", detail: "boom" }).tooltip, /boom/);
    assert.equal(statusView({ state: "disabled" }).severity, "warning");
  });
  it("says when the worker's interpreter has no torch, with the install command in the tooltip", () => {
    const detail = "torch is not installed in /v/bin/python (No module named 'torch'). Install it with: /v/bin/python -m pip install torch --index-url https://download.pytorch.org/whl/cpu";
    const view = statusView({ state: "error", detail });
    assert.match(view.text, /no torch/);
    assert.match(view.tooltip, /--index-url https:\/\/download\.pytorch\.org\/whl\/cpu/);
  });
});

describe("doctor", () => {
  const result = {
    python: "/v/bin/python",
    torch: "2.13.0",
    layers: { rlimit: { active: true, detail: "RLIMIT_AS 4096 MiB" }, seccomp: { active: false, detail: "not | available" } },
  };
  it("lists every layer in a table", () => {
    const md = doctorMarkdown(result, "/v/bin/python (setting)");
    assert.match(md, /\| rlimit \| ✅ yes \| RLIMIT_AS 4096 MiB \|/);
    assert.match(md, /\| seccomp \| ❌ no \| not \\\| available \|/);
  });
  it("summarizes active layers", () => {
    assert.equal(doctorSummary(result), "torchpeek doctor: torch 2.13.0; sandbox layers active: 1/2 (rlimit)");
    assert.match(doctorSummary({ torch: null }), /torch missing/);
  });
});

describe("previewSummary", () => {
  it("picks the torch.Size line", () => {
    assert.equal(previewSummary({ ok: true, text: "**x**\n\n`torch.Size([2, 3])` float32" }), "torchpeek: torch.Size([2, 3]) float32");
  });
  it("reports errors", () => {
    assert.equal(previewSummary({ ok: false, error: { type: "TimeoutError", message: "took too long" } }), "torchpeek: TimeoutError: took too long");
  });
});
