/**
 * Entry point of the torchpeek VS Code extension: wires the status bar, the
 * commands and the server manager, and restarts the server when the
 * interpreter, a torchpeek setting or workspace trust changes.
 */

import * as vscode from "vscode";
import { COMMANDS, registerCommands } from "./commands";
import { onDidChangePythonInterpreter } from "./pythonExtension";
import { ServerManager } from "./server";
import { needsRestart } from "./settings";
import { StatusBar } from "./statusBar";

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("torchpeek", { log: true });
  const status = new StatusBar(COMMANDS.showOutput);
  manager = new ServerManager(context, output, status);
  const server = manager;
  context.subscriptions.push(output, status, server, ...registerCommands(server, output, context.globalStorageUri));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (needsRestart((section) => e.affectsConfiguration(section))) {
        void server.restart("torchpeek settings changed");
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.restart("workspace trusted: previews allowed")),
  );
  const interpreterEvents = await onDidChangePythonInterpreter(() => {
    if (!vscode.workspace.getConfiguration("torchpeek").get<string>("python")) {
      void server.restart("Python interpreter changed");
    }
  });
  if (interpreterEvents) {
    context.subscriptions.push(interpreterEvents);
  }
  await server.restart("extension activated");
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
}
