import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { canRunServer, defaultPython, resolveInterpreter, serverCandidates, serverCommandLine } from "../python";

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
    assert.deepEqual(serverCommandLine(got, "/ext/client/launcher/serve.py").args, ["run", "-n", "ml", "python", "-I", "/ext/client/launcher/serve.py"]);
  });

  it("falls back to python3 when the Python extension is absent, empty or broken", async () => {
    for (const lookup of [undefined, async () => undefined, async () => [], async () => Promise.reject(new Error("boom"))]) {
      const got = await resolveInterpreter({ fromPythonExtension: lookup, platform: "linux" });
      assert.deepEqual(got, { command: "python3", args: [], source: "default" });
    }
    assert.equal(defaultPython("win32"), "python");
  });
});

describe("server interpreter", () => {
  const user = { command: "/v/bin/python", args: [], source: "setting" as const };
  it("runs the bundled launcher in isolated mode, never pip", () => {
    const got = serverCommandLine(user, "/ext/client/launcher/serve.py");
    assert.deepEqual(got, { command: "/v/bin/python", args: ["-I", "/ext/client/launcher/serve.py"] });
    assert.ok(!got.args.includes("pip"));
  });
  it("accepts Python 3.10 and newer only", () => {
    for (const ok of ["3.10", "3.11", "3.13", "4.0"]) {
      assert.equal(canRunServer(ok), true, ok);
    }
    for (const bad of ["3.9", "2.7", "", "garbage"]) {
      assert.equal(canRunServer(bad), false, bad);
    }
  });
  it("tries the user's interpreter first, then python3 and python from PATH", () => {
    const got = serverCandidates(user, "linux").map((c) => c.command);
    assert.deepEqual(got, ["/v/bin/python", "python3", "python"]);
    const defaults = serverCandidates({ command: "python3", args: [], source: "default" }, "linux");
    assert.deepEqual(defaults.map((c) => c.command), ["python3", "python"]);
  });
});
