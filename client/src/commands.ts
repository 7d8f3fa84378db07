/**
 * The "torchpeek: …" commands. Each one is a thin UI over a server command
 * (`workspace/executeCommand` with one object argument).
 *
 * The VS Code command ids live under `torchpeek.client.` because
 * vscode-languageclient registers the server's own command ids
 * (`torchpeek.insertSnippet`, …) itself; reusing them would collide.
 */

import * as vscode from "vscode";
import { DoctorResult, PreviewResult, doctorMarkdown, doctorSummary, previewSummary } from "./presentation";
import { ServerManager } from "./server";
import { SnippetInfo, SnippetParam, buildPickEntries, coerceParamValue, paramPrompt, parseSnippetList } from "./snippetPicker";

export const COMMANDS = {
  insertSnippet: "torchpeek.client.insertSnippet",
  previewShape: "torchpeek.client.previewShape",
  reloadSnippets: "torchpeek.client.reloadSnippets",
  exportSnippets: "torchpeek.client.exportSnippets",
  showOutput: "torchpeek.client.showOutput",
  restartServer: "torchpeek.client.restartServer",
  doctor: "torchpeek.client.doctor",
} as const;

/**
 * The user snippets folder: globalStorageUri is <user data>/User/globalStorage/<extension id>,
 * and VS Code (and code-server) read user snippets from <user data>/User/snippets.
 */
export function userSnippetsFolder(globalStorage: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(globalStorage, "..", "..", "snippets");
}

export function registerCommands(
  server: ServerManager,
  output: vscode.LogOutputChannel,
  globalStorage: vscode.Uri,
): vscode.Disposable[] {
  const guarded = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      reportError(err, output);
    }
  };
  return [
    vscode.commands.registerCommand(COMMANDS.insertSnippet, guarded(() => insertSnippet(server))),
    vscode.commands.registerCommand(COMMANDS.previewShape, guarded(() => previewShape(server, output))),
    vscode.commands.registerCommand(COMMANDS.reloadSnippets, guarded(() => reloadSnippets(server, output))),
    vscode.commands.registerCommand(COMMANDS.exportSnippets, guarded(() => exportSnippets(server, userSnippetsFolder(globalStorage)))),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show()),
    vscode.commands.registerCommand(COMMANDS.restartServer, guarded(() => server.restart("restart requested"))),
    vscode.commands.registerCommand(COMMANDS.doctor, guarded(() => doctor(server))),
  ];
}

function reportError(err: unknown, output: vscode.LogOutputChannel): void {
  const message = err instanceof Error ? err.message : String(err);
  output.error(message);
  const show = "Show Output";
  void vscode.window.showErrorMessage(`torchpeek: ${message}`, show).then((c) => c === show && output.show());
}

function pythonEditor(): vscode.TextEditor {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    throw new Error("open a Python file first");
  }
  return editor;
}

async function insertSnippet(server: ServerManager): Promise<void> {
  const editor = pythonEditor();
  const snippets = parseSnippetList(await server.executeCommand("torchpeek.listSnippets", {}));
  if (!snippets || snippets.length === 0) {
    throw new Error("the server has no snippets (see torchpeek: Reload Snippets)");
  }
  const snippet = await pickSnippet(snippets);
  if (!snippet) {
    return;
  }
  const params = await askParams(snippet.params ?? []);
  if (!params) {
    return;
  }
  const position = editor.selection.active;
  const result = await server.executeCommand<{ applied?: boolean }>("torchpeek.insertSnippet", {
    uri: editor.document.uri.toString(),
    position: { line: position.line, character: position.character },
    id: snippet.id,
    params,
  });
  if (!result?.applied) {
    void vscode.window.showWarningMessage(`torchpeek: the edit for '${snippet.title || snippet.id}' was not applied.`);
  }
}

async function pickSnippet(snippets: SnippetInfo[]): Promise<SnippetInfo | undefined> {
  type Item = vscode.QuickPickItem & { id?: string };
  const items: Item[] = buildPickEntries(snippets).map((e) =>
    e.kind === "separator"
      ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
      : { label: e.label, description: e.description, detail: e.detail || undefined, id: e.id },
  );
  const picked = await vscode.window.showQuickPick(items, {
    title: "torchpeek: Insert Snippet",
    placeHolder: "Pick a PyTorch snippet",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.id ? snippets.find((s) => s.id === picked.id) : undefined;
}

/** One prompt per parameter; undefined when the user cancels any of them. */
async function askParams(params: SnippetParam[]): Promise<Record<string, unknown> | undefined> {
  const values: Record<string, unknown> = {};
  for (const [i, param] of params.entries()) {
    const prompt = paramPrompt(param);
    const step = `(${i + 1}/${params.length})`;
    if (prompt.kind === "choice") {
      const picked = await vscode.window.showQuickPick(
        prompt.items.map((it) => ({ label: it.label, value: it.value, description: it.picked ? "default" : undefined })),
        { title: `${step} ${prompt.title}`, placeHolder: param.name },
      );
      if (!picked) {
        return undefined;
      }
      values[param.name] = picked.value;
    } else {
      const text = await vscode.window.showInputBox({ title: `${step} ${prompt.title}`, value: prompt.value, prompt: prompt.prompt });
      if (text === undefined) {
        return undefined;
      }
      values[param.name] = coerceParamValue(param, text);
    }
  }
  return values;
}

async function previewShape(server: ServerManager, output: vscode.LogOutputChannel): Promise<void> {
  const editor = pythonEditor();
  const uri = editor.document.uri.toString();
  const sel = editor.selection;
  const arg = sel.isEmpty
    ? { uri, position: { line: sel.active.line, character: sel.active.character } }
    : { uri, range: { start: { line: sel.start.line, character: sel.start.character }, end: { line: sel.end.line, character: sel.end.character } } };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "torchpeek: previewing…" },
    () => server.executeCommand<PreviewResult>("torchpeek.previewShape", arg),
  );
  // One line per preview; the whole result stays in the details view, not in the log.
  output.info(`preview: ${previewSummary(result ?? {})}`);
  const details = "Show Details";
  const show = result?.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  if ((await show(previewSummary(result ?? {}), details)) === details) {
    await openMarkdown(result?.text ?? JSON.stringify(result, null, 2));
  }
}

async function reloadSnippets(server: ServerManager, output: vscode.LogOutputChannel): Promise<void> {
  const result = await server.executeCommand<{ snippets?: number; problems?: number }>("torchpeek.reloadSnippets", {});
  const problems = result?.problems ?? 0;
  const message = `torchpeek: loaded ${result?.snippets ?? 0} snippets${problems ? `, ${problems} problems (see the output)` : ""}.`;
  if (problems) {
    const show = "Show Output";
    if ((await vscode.window.showWarningMessage(message, show)) === show) {
      output.show();
    }
  } else {
    void vscode.window.showInformationMessage(message);
  }
}

/** Writes the export where the user says, offering the user snippets folder (never the workspace). */
async function exportSnippets(server: ServerManager, userSnippets: vscode.Uri): Promise<void> {
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(userSnippets, "torchpeek.code-snippets"),
    filters: { "VS Code snippets": ["code-snippets"] },
    saveLabel: "Export",
    title: "torchpeek: export snippets (your user snippets folder by default)",
  });
  if (!target) {
    return;
  }
  const result = await server.executeCommand<{ path: string; count: number }>("torchpeek.exportSnippets", {
    path: target.fsPath,
  });
  const open = "Open File";
  if ((await vscode.window.showInformationMessage(`torchpeek: exported ${result.count} snippets to ${result.path}`, open)) === open) {
    await vscode.window.showTextDocument(vscode.Uri.file(result.path));
  }
}

async function doctor(server: ServerManager): Promise<void> {
  const result = await server.executeCommand<DoctorResult>("torchpeek.doctor", {});
  await openMarkdown(doctorMarkdown(result ?? {}, server.interpreterDescription));
  void vscode.window.showInformationMessage(doctorSummary(result ?? {}));
}

/** Shows markdown rendered beside the editor; the raw text when the markdown extension is missing. */
async function openMarkdown(content: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: "markdown", content });
  try {
    await vscode.commands.executeCommand("markdown.showPreviewToSide", doc.uri);
  } catch {
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}
