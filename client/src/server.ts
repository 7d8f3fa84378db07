/**
 * Owns the language client: finds the user's interpreter (it runs the preview
 * worker), picks a Python 3.10+ for the server, starts the server from the
 * libraries bundled in the extension over stdio, and restarts it when the
 * interpreter, a torchpeek setting or workspace trust changes. Nothing is
 * installed into any interpreter. Restarts are serialized so that a burst of
 * setting changes cannot start two servers.
 */

import { execFile } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import {
  Interpreter,
  canRunServer,
  describeInterpreter,
  resolveInterpreter,
  serverCandidates,
  serverCommandLine,
  versionCheckCommandLine,
} from "./python";
import { interpreterFromPythonExtension } from "./pythonExtension";
import { ServerSettings, buildServerSettings } from "./settings";
import { StatusBar } from "./statusBar";
import { StatusParams } from "./presentation";

export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  // Python cells of any notebook; the server also gets notebookDocument/* sync for them.
  { notebook: "*", language: "python" },
];

type ServerPython = { ok: true; interpreter: Interpreter; version: string } | { ok: false; missingInterpreter: boolean; message: string };

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private interpreter: Interpreter | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly status: StatusBar,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get interpreterDescription(): string {
    return this.interpreter ? describeInterpreter(this.interpreter) : "not resolved yet";
  }

  /** Stops any running server and starts a fresh one; calls are queued. */
  restart(reason: string): Promise<void> {
    this.queue = this.queue.then(() => this.doRestart(reason)).catch((err) => this.fail(err));
    return this.queue;
  }

  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.doStop());
    return this.queue;
  }

  async executeCommand<T>(command: string, arg: object): Promise<T> {
    await this.queue;
    if (!this.client || !this.running) {
      throw new Error("the torchpeek server is not running (see torchpeek: Show Server Output)");
    }
    return (await this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] })) as T;
  }

  /** The settings sent as initializationOptions and in answer to `workspace/configuration`. */
  serverSettings(): ServerSettings {
    const config = vscode.workspace.getConfiguration("torchpeek");
    return buildServerSettings((key, fallback) => config.get(key, fallback), {
      trusted: vscode.workspace.isTrusted,
      python: this.interpreter?.args.length === 0 ? this.interpreter.command : undefined,
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      home: os.homedir(),
    });
  }

  private async doRestart(reason: string): Promise<void> {
    this.output.info(`(re)starting the server: ${reason}`);
    await this.doStop();
    this.status.update({ state: "starting", detail: reason });
    this.interpreter = await resolveInterpreter({
      setting: vscode.workspace.getConfiguration("torchpeek").get<string>("python"),
      fromPythonExtension: () => interpreterFromPythonExtension(vscode.workspace.workspaceFolders?.[0]?.uri),
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      home: os.homedir(),
      env: process.env,
    });
    this.output.info(`preview worker interpreter: ${describeInterpreter(this.interpreter)}`);
    const server = await this.findServerPython(this.interpreter);
    if (!server.ok) {
      this.status.update({ state: server.missingInterpreter ? "error" : "missing", detail: server.message });
      this.output.error(server.message);
      void this.offerFix(server);
      return;
    }
    this.output.info(`server: Python ${server.version} at ${describeInterpreter(server.interpreter)}, bundled libraries`);
    await this.startClient(server.interpreter);
  }

  private async startClient(interpreter: Interpreter): Promise<void> {
    const launcher = path.join(this.context.extensionPath, "client", "launcher", "serve.py");
    const { command, args } = serverCommandLine(interpreter, launcher);
    const serverOptions: ServerOptions = {
      command,
      args,
      options: {
        cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        env: { ...process.env, PYTHONUNBUFFERED: "1" },
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: this.serverSettings(),
      middleware: {
        workspace: {
          // Answer pulls with the same computed settings (trust applied), not the raw configuration.
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, i) => (item.section === "torchpeek" ? this.serverSettings() : raw[i]));
          },
        },
      },
    };
    const client = new LanguageClient("torchpeek", "torchpeek", serverOptions, clientOptions);
    client.onNotification("torchpeek/status", (params: StatusParams) => this.status.update(params));
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Stopped) {
        this.status.update({ state: "stopped", detail: "the server exited; run torchpeek: Restart Server" });
      } else if (e.newState === State.Running && this.status.current.state === "stopped") {
        // The client restarted a crashed server by itself; its next torchpeek/status refines this.
        this.status.update({ state: "starting", detail: "restarted after a crash" });
      }
    });
    this.client = client;
    await client.start();
    if (this.status.current.state === "starting") {
      this.status.update({ state: "ready", detail: `${describeInterpreter(interpreter)}` });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (err) {
        this.output.warn(`stopping the server: ${String(err)}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }

  /** The first candidate that runs and is Python 3.10+; the user's interpreter comes first. */
  private async findServerPython(user: Interpreter): Promise<ServerPython> {
    const tried: string[] = [];
    let anyFound = false;
    for (const candidate of serverCandidates(user)) {
      const version = await this.pythonVersion(candidate);
      if (version !== undefined) {
        anyFound = true;
        if (canRunServer(version)) {
          return { ok: true, interpreter: candidate, version };
        }
      }
      tried.push(`${describeInterpreter(candidate)}: ${version ?? "not found"}`);
    }
    const message = `torchpeek needs Python 3.10 or newer to run its server (nothing is installed into it). Tried ${tried.join("; ")}.`;
    return { ok: false, missingInterpreter: !anyFound, message };
  }

  private pythonVersion(interpreter: Interpreter): Promise<string | undefined> {
    const { command, args } = versionCheckCommandLine(interpreter);
    return new Promise((resolve) => {
      execFile(command, args, { timeout: 30000 }, (err, stdout) => resolve(err ? undefined : stdout.trim()));
    });
  }

  private async offerFix(check: Extract<ServerPython, { ok: false }>): Promise<void> {
    const select = "Select Interpreter";
    const settings = "Open Settings";
    const choice = await vscode.window.showErrorMessage(check.message, select, settings);
    if (choice === select) {
      const hasPython = vscode.extensions.getExtension("ms-python.python") !== undefined;
      await vscode.commands.executeCommand(hasPython ? "python.setInterpreter" : "workbench.action.openSettings", "torchpeek.python");
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "torchpeek.python");
    }
  }

  private fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.output.error(`torchpeek server failed: ${message}`);
    this.status.update({ state: "error", detail: message });
    const show = "Show Output";
    void vscode.window.showErrorMessage(`torchpeek server failed to start: ${message}`, show).then((c) => {
      if (c === show) {
        this.output.show();
      }
    });
  }

  dispose(): void {
    void this.doStop();
  }
}
