import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ConfigGetter, buildServerSettings, expandPath, needsRestart, simulatedGpu } from "../settings";

function getter(values: Record<string, unknown>): ConfigGetter {
  return <T>(key: string, fallback: T) => (key in values ? (values[key] as T) : fallback);
}

describe("buildServerSettings", () => {
  it("sends the defaults when nothing is set", () => {
    assert.deepEqual(buildServerSettings(getter({}), { trusted: true }), {
      snippetPaths: [],
      preview: { enabled: true, timeoutMs: 5000, memoryMb: 4096 },
      snapshots: { enabled: true, memoryMb: 1024 },
      locale: "auto",
    });
  });

  it("maps every setting to the camelCase initializationOptions", () => {
    const got = buildServerSettings(
      getter({
        snippetPaths: ["snips", "/abs/more.yaml", "${workspaceFolder}/x.yaml", ""],
        "preview.enabled": true,
        "preview.timeoutMs": 2500,
        "preview.memoryMb": 1024,
        "snapshots.enabled": false,
        "snapshots.memoryMb": 512,
        simulatedGpu: { name: "NVIDIA A100", totalMemoryMb: 81920, count: 2, capability: [8, 0] },
        locale: "ko",
      }),
      { trusted: true, python: "/v/bin/python", workspaceFolder: "/w" },
    );
    assert.deepEqual(got, {
      python: "/v/bin/python",
      snippetPaths: ["/w/snips", "/abs/more.yaml", "/w/x.yaml"],
      preview: { enabled: true, timeoutMs: 2500, memoryMb: 1024 },
      snapshots: { enabled: false, memoryMb: 512 },
      simulatedGpu: { name: "NVIDIA A100", totalMemoryMb: 81920, count: 2, capability: [8, 0] },
      locale: "ko",
    });
  });

  it("turns previews off in an untrusted workspace whatever the setting says", () => {
    const got = buildServerSettings(getter({ "preview.enabled": true }), { trusted: false });
    assert.equal(got.preview.enabled, false);
  });

  it("replaces invalid numbers and locales with the defaults", () => {
    const got = buildServerSettings(getter({ "preview.timeoutMs": -1, "preview.memoryMb": "lots", locale: "fr" }), { trusted: true });
    assert.deepEqual(got.preview, { enabled: true, timeoutMs: 5000, memoryMb: 4096 });
    assert.equal(got.locale, "auto");
  });
});

describe("simulatedGpu", () => {
  it("is absent for null, {} and non-objects", () => {
    for (const v of [null, undefined, {}, [], "a100", 3]) {
      assert.equal(simulatedGpu(v), undefined);
    }
  });
  it("fills in missing fields", () => {
    assert.deepEqual(simulatedGpu({ name: "H100" }), { name: "H100", totalMemoryMb: 16384, count: 1, capability: [8, 0] });
  });
});

describe("expandPath", () => {
  it("expands env variables and leaves unknown variables alone", () => {
    assert.equal(expandPath("${env:HOME}/x", {}, { HOME: "/h" }), "/h/x");
    assert.equal(expandPath("${workspaceFolder}/x", {}), "${workspaceFolder}/x");
  });
});

describe("needsRestart", () => {
  const changed = (...sections: string[]) => (s: string) => sections.some((c) => c === s || c.startsWith(`${s}.`));
  it("restarts for any torchpeek setting except the trace level", () => {
    assert.equal(needsRestart(changed("torchpeek.preview.timeoutMs")), true);
    assert.equal(needsRestart(changed("torchpeek.python")), true);
    assert.equal(needsRestart(changed("torchpeek.trace.server")), false);
    assert.equal(needsRestart(changed("editor.fontSize")), false);
  });
});
