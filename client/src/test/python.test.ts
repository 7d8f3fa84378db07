import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { defaultPython, pipInstallCommandLine, resolveInterpreter, serverCommandLine } from "../python";

describe("resolveInterpreter", () => {
  it("prefers the torchpeek.python setting over the Python extension", async () => {
    let asked = false;
    const got = await resolveInterpreter({
      setting: "/opt/venv/bin/python",
      fromPythonExtension: async () => {
        asked = true;
        return ["/usr/bin/python3.12"];
      },
    });
    assert.deepEqual(got, { command: "/opt/venv/bin/python", args: [], source: "setting" });
    assert.equal(asked, false, "the Python extension is not consulted when the setting is set");
  });

  it("expands ${workspaceFolder} and ~ in the setting", async () => {
    const a = await resolveInterpreter({ setting: "${workspaceFolder}/.venv/bin/python", workspaceFolder: "/w" });
    assert.equal(a.command, "/w/.venv/bin/python");
    const b = await resolveInterpreter({ setting: "~/venv/bin/python", home: "/home/u" });
    assert.equal(b.command, "/home/u/venv/bin/python");
  });

  it("treats a blank setting as unset", async () => {
    const got = await resolveInterpreter({ setting: "   ", fromPythonExtension: async () => ["/env/bin/python"] });
    assert.equal(got.source, "python-extension");
  });

  it("uses the Python extension's command line, arguments included", async () => {
    const got = await resolveInterpreter({ fromPythonExtension: async () => ["conda", "run", "-n", "ml", "python"] });
    assert.deepEqual(got, { command: "conda", args: ["run", "-n", "ml", "python"], source: "python-extension" });
    assert.deepEqual(serverCommandLine(got).args, ["run", "-n", "ml", "python", "-m", "torchpeek", "serve"]);
  });

  it("falls back to python3 when the Python extension is absent, empty or broken", async () => {
    for (const lookup of [undefined, async () => undefined, async () => [], async () => Promise.reject(new Error("boom"))]) {
      const got = await resolveInterpreter({ fromPythonExtension: lookup, platform: "linux" });
      assert.deepEqual(got, { command: "python3", args: [], source: "default" });
    }
    assert.equal(defaultPython("win32"), "python");
  });
});

describe("pipInstallCommandLine", () => {
  const py = { command: "/v/bin/python", args: [], source: "setting" as const };
  it("installs the bundled wheel first", () => {
    const got = pipInstallCommandLine(py, { bundledWheel: "/ext/client/bundled/torchpeek-0.1.0-py3-none-any.whl", repoPath: "/repo" });
    assert.deepEqual(got.args, ["-m", "pip", "install", "--upgrade", "/ext/client/bundled/torchpeek-0.1.0-py3-none-any.whl"]);
  });
  it("installs a repository checkout in editable mode", () => {
    assert.deepEqual(pipInstallCommandLine(py, { repoPath: "/repo" }).args, ["-m", "pip", "install", "--upgrade", "-e", "/repo"]);
  });
  it("falls back to the PyPI name", () => {
    assert.equal(pipInstallCommandLine(py, {}).target, "torchpeek");
  });
});
