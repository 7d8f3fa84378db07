/**
 * Asks the Python extension (ms-python.python) for the selected interpreter
 * and tells us when the selection changes. Only the small part of its public
 * API that we use is typed here; everything is optional because old and new
 * releases expose different halves of it.
 */

import * as vscode from "vscode";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri };
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
    onDidChangeExecutionDetails: vscode.Event<vscode.Uri | undefined>;
  };
}

const PYTHON_EXTENSION_ID = "ms-python.python";

async function api(): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  if (!ext.isActive) {
    await ext.activate();
  }
  return ext.exports;
}

/** The interpreter's command line, or undefined when the Python extension is absent or has none. */
export async function interpreterFromPythonExtension(resource?: vscode.Uri): Promise<string[] | undefined> {
  const python = await api();
  if (!python) {
    return undefined;
  }
  if (python.environments) {
    const env = await python.environments.resolveEnvironment(python.environments.getActiveEnvironmentPath(resource));
    const exe = env?.executable?.uri?.fsPath;
    if (exe) {
      return [exe];
    }
  }
  const cmd = python.settings?.getExecutionDetails(resource).execCommand;
  return cmd && cmd.length > 0 ? cmd : undefined;
}

/** Fires when the user picks another interpreter in the Python extension. */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    const python = await api();
    if (python?.environments) {
      return python.environments.onDidChangeActiveEnvironmentPath(() => listener());
    }
    if (python?.settings) {
      return python.settings.onDidChangeExecutionDetails(() => listener());
    }
  } catch {
    // A Python extension that fails to activate only costs us the change events.
  }
  return undefined;
}
