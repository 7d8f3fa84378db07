/**
 * Owns the language client: finds the interpreter, checks that torchpeek is
 * importable there (offering to install it), starts `python -m torchpeek serve`
 * over stdio, and restarts it when the interpreter, a torchpeek setting or
 * workspace trust changes. Restarts are serialized so that a burst of setting
 * changes cannot start two servers.
 */

import { execFile } from "node:child_process";
import * as fs from "node:fs";
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
  describeInterpreter,
  importCheckCommandLine,
  pipInstallCommandLine,
  resolveInterpreter,
  serverCommandLine,
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

type CheckResult = { ok: true; version: string } | { ok: false; missingInterpreter: boolean; message: string };

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
    this.output.info(`interpreter: ${describeInterpreter(this.interpreter)}`);
    const check = await this.checkImportable(this.interpreter);
    if (!check.ok) {
      this.status.update({ state: check.missingInterpreter ? "error" : "missing", detail: check.message });
      this.output.error(check.message);
      void this.offerFix(check);
      return;
    }
    this.output.info(`torchpeek ${check.version} found`);
    await this.startClient(this.interpreter);
  }

  private async startClient(interpreter: Interpreter): Promise<void> {
    const { command, args } = serverCommandLine(interpreter);
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

  private checkImportable(interpreter: Interpreter): Promise<CheckResult> {
    const { command, args } = importCheckCommandLine(interpreter);
    return new Promise((resolve) => {
      execFile(command, args, { timeout: 30000 }, (err, stdout, stderr) => {
        if (!err) {
          resolve({ ok: true, version: stdout.trim() });
          return;
        }
        const missingInterpreter = (err as NodeJS.ErrnoException).code === "ENOENT";
        const message = missingInterpreter
          ? `torchpeek: the Python interpreter '${command}' was not found.`
          : `torchpeek is not importable with ${describeInterpreter(interpreter)}: ${lastLine(stderr) || err.message}`;
        resolve({ ok: false, missingInterpreter, message });
      });
    });
  }

  private async offerFix(check: Extract<CheckResult, { ok: false }>): Promise<void> {
    const install = "Install torchpeek";
    const select = "Select Interpreter";
    const settings = "Open Settings";
    const buttons = check.missingInterpreter ? [select, settings] : [install, select, settings];
    const choice = await vscode.window.showErrorMessage(check.message, ...buttons);
    if (choice === install) {
      await this.install();
    } else if (choice === select) {
      const hasPython = vscode.extensions.getExtension("ms-python.python") !== undefined;
      await vscode.commands.executeCommand(hasPython ? "python.setInterpreter" : "workbench.action.openSettings", "torchpeek.python");
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "torchpeek.python");
    }
  }

  /** `pip install` the bundled wheel (or the repository in development) into the interpreter, then restart. */
  async install(): Promise<void> {
    if (!this.interpreter) {
      return;
    }
    const { command, args, target } = pipInstallCommandLine(this.interpreter, this.installSources());
    this.output.info(`running: ${command} ${args.join(" ")}`);
    this.output.show(true);
    const ok = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Installing torchpeek from ${path.basename(target)}…` },
      () =>
        new Promise<boolean>((resolve) => {
          execFile(command, args, { timeout: 10 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            this.output.info(stdout);
            if (stderr) {
              this.output.warn(stderr);
            }
            resolve(!err);
          });
        }),
    );
    if (ok) {
      void vscode.window.showInformationMessage("torchpeek installed; starting the server.");
      await this.restart("torchpeek installed");
    } else {
      const show = "Show Output";
      if ((await vscode.window.showErrorMessage("Installing torchpeek failed.", show)) === show) {
        this.output.show();
      }
    }
  }

  private installSources(): { bundledWheel?: string; repoPath?: string } {
    const root = this.context.extensionPath;
    const bundled = path.join(root, "client", "bundled");
    const wheel = fs.existsSync(bundled) ? fs.readdirSync(bundled).find((f) => f.endsWith(".whl")) : undefined;
    const isCheckout = fs.existsSync(path.join(root, "pyproject.toml")) && fs.existsSync(path.join(root, "server", "torchpeek"));
    return { bundledWheel: wheel ? path.join(bundled, wheel) : undefined, repoPath: isCheckout ? root : undefined };
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

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}
