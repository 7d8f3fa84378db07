/**
 * Decides which Python interpreters torchpeek uses.
 *
 * The preview worker runs in the user's interpreter, found as in
 * vscode-python-tools-extension-template: the `torchpeek.python` setting wins;
 * else the interpreter selected in the Python extension; else `python3`
 * (`python` on Windows). The server runs from the extension's bundled
 * libraries with the first of those candidates that is Python 3.10 or newer.
 * Pure: the Python extension lookup is passed in, so the order is unit-tested
 * without VS Code.
 */

import { expandPath } from "./settings";

export type InterpreterSource = "setting" | "python-extension" | "default";

export interface Interpreter {
  /** Executable to spawn. */
  command: string;
  /** Arguments before `-m torchpeek ...` (e.g. `conda run -n env python`). */
  args: string[];
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** Raw `torchpeek.python` setting. */
  setting?: string;
  /** Asks the Python extension; undefined when it is missing or has no answer. */
  fromPythonExtension?: () => Promise<string[] | undefined>;
  platform?: string;
  workspaceFolder?: string;
  home?: string;
  env?: Record<string, string | undefined>;
}

export function defaultPython(platform: string = process.platform): string {
  return platform === "win32" ? "python" : "python3";
}

export async function resolveInterpreter(inputs: InterpreterInputs): Promise<Interpreter> {
  const setting = inputs.setting?.trim();
  if (setting) {
    const command = expandPath(setting, inputs, inputs.env ?? {});
    return { command, args: [], source: "setting" };
  }
  const fromExtension = await safely(inputs.fromPythonExtension);
  if (fromExtension && fromExtension.length > 0 && fromExtension[0]) {
    return { command: fromExtension[0], args: fromExtension.slice(1), source: "python-extension" };
  }
  return { command: defaultPython(inputs.platform), args: [], source: "default" };
}

/** A broken Python extension must not stop torchpeek: treat errors as "no answer". */
async function safely(lookup?: () => Promise<string[] | undefined>): Promise<string[] | undefined> {
  if (!lookup) {
    return undefined;
  }
  try {
    return await lookup();
  } catch {
    return undefined;
  }
}

export function describeInterpreter(interpreter: Interpreter): string {
  const cmd = [interpreter.command, ...interpreter.args].join(" ");
  const from = {
    setting: "from the torchpeek.python setting",
    "python-extension": "selected in the Python extension",
    default: "default",
  }[interpreter.source];
  return `${cmd} (${from})`;
}

/**
 * The server runs from the libraries bundled in the extension (`client/launcher/serve.py`
 * puts them first on `sys.path`), in isolated mode (`-I`: no user site-packages, no
 * PYTHONPATH), so it needs only a Python 3.10+ and installs nothing into it.
 */
export function serverCommandLine(interpreter: Interpreter, launcher: string): { command: string; args: string[] } {
  return { command: interpreter.command, args: [...interpreter.args, "-I", launcher] };
}

export function versionCheckCommandLine(interpreter: Interpreter): { command: string; args: string[] } {
  return { command: interpreter.command, args: [...interpreter.args, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"] };
}

export const MIN_SERVER_PYTHON: [number, number] = [3, 10];

/** Whether `major.minor` (as printed by the version check) can run the server. */
export function canRunServer(version: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!match) {
    return false;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > MIN_SERVER_PYTHON[0] || (major === MIN_SERVER_PYTHON[0] && minor >= MIN_SERVER_PYTHON[1]);
}

/**
 * Interpreters to try for the server, best first: the user's (it also runs the
 * worker), then `python3`/`python` from PATH. Duplicates are dropped.
 */
export function serverCandidates(user: Interpreter, platform: string = process.platform): Interpreter[] {
  const fallbacks: Interpreter[] = [defaultPython(platform), "python3", "python"].map((command) => ({ command, args: [], source: "default" }));
  const seen = new Set<string>();
  return [user, ...fallbacks].filter((candidate) => {
    const key = [candidate.command, ...candidate.args].join("\0");
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}
