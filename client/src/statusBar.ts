/** The status bar item that mirrors the server's `torchpeek/status` notification. */

import * as vscode from "vscode";
import { StatusParams, statusView } from "./presentation";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: StatusParams = { state: "starting" };

  constructor(showOutputCommand: string) {
    this.item = vscode.window.createStatusBarItem("torchpeek.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "torchpeek";
    this.item.command = showOutputCommand;
    this.update(this.last);
    this.item.show();
  }

  get current(): StatusParams {
    return this.last;
  }

  update(status: StatusParams): void {
    this.last = status;
    const view = statusView(status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
