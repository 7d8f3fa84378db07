/**
 * Decides which Python interpreter runs `python -m torchpeek serve`.
 *
 * Order, as in vscode-python-tools-extension-template: the `torchpeek.python`
 * setting wins; else the interpreter selected in the Python extension; else
 * `python3` (`python` on Windows). Pure: the Python extension lookup is passed
 * in, so the order is unit-tested without VS Code.
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

export function serverCommandLine(interpreter: Interpreter): { command: string; args: string[] } {
  return { command: interpreter.command, args: [...interpreter.args, "-m", "torchpeek", "serve"] };
}

export function importCheckCommandLine(interpreter: Interpreter): { command: string; args: string[] } {
  return {
    command: interpreter.command,
    args: [...interpreter.args, "-c", "import torchpeek, sys; sys.stdout.write(getattr(torchpeek, '__version__', '?'))"],
  };
}

export interface InstallSources {
  /** A wheel shipped inside the .vsix (client/bundled/*.whl). */
  bundledWheel?: string;
  /** A checkout of the repository (development installs of the extension). */
  repoPath?: string;
}

/** `pip install` the best torchpeek source we have; the PyPI name is the last resort. */
export function pipInstallCommandLine(interpreter: Interpreter, sources: InstallSources): { command: string; args: string[]; target: string } {
  const target = sources.bundledWheel ?? sources.repoPath ?? "torchpeek";
  const args = [...interpreter.args, "-m", "pip", "install", "--upgrade"];
  if (!sources.bundledWheel && sources.repoPath) {
    args.push("-e");
  }
  args.push(target);
  return { command: interpreter.command, args, target };
}
