/**
 * Text for the status bar (`torchpeek/status` notifications), the doctor
 * report (`torchpeek.doctor`) and shape previews (`torchpeek.previewShape`).
 * Pure, so the wording is unit-tested.
 */

export type ServerState = "starting" | "warming" | "ready" | "error" | "disabled" | "stopped" | "missing";

export interface StatusParams {
  state: ServerState;
  detail?: string;
  simulatedGpu?: boolean;
}

export interface StatusView {
  text: string;
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

export function statusView(status: StatusParams): StatusView {
  const detail = status.detail ? `\n${status.detail}` : "";
  const click = "\nClick to show the server output.";
  switch (status.state) {
    case "starting":
      return { text: "$(sync~spin) torchpeek", tooltip: `torchpeek: starting${detail}${click}`, severity: "normal" };
    case "warming":
      return { text: "$(sync~spin) torchpeek: warming up", tooltip: `torchpeek: importing torch in the preview worker${detail}${click}`, severity: "normal" };
    case "ready":
      return status.simulatedGpu
        ? { text: "$(chip) torchpeek (simulated GPU)", tooltip: `torchpeek: ready, previews use a simulated GPU${detail}${click}`, severity: "normal" }
        : { text: "$(check) torchpeek", tooltip: `torchpeek: ready${detail}${click}`, severity: "normal" };
    case "disabled":
      return { text: "$(circle-slash) torchpeek", tooltip: `torchpeek: shape previews are off${detail}${click}`, severity: "warning" };
    case "missing":
      return { text: "$(warning) torchpeek: not installed", tooltip: `torchpeek is not importable in the selected interpreter${detail}${click}`, severity: "warning" };
    case "stopped":
      return { text: "$(debug-stop) torchpeek", tooltip: `torchpeek: server stopped${detail}${click}`, severity: "warning" };
    case "error":
    default:
      if (status.detail?.includes("torch is not installed")) {
        // The worker's interpreter lacks torch; the detail carries the install command for this machine.
        return { text: "$(error) torchpeek: no torch", tooltip: `torchpeek: shape previews need torch in the selected interpreter${detail}${click}`, severity: "error" };
      }
      return { text: "$(error) torchpeek", tooltip: `torchpeek: error${detail}${click}`, severity: "error" };
  }
}

export interface DoctorResult {
  python?: string;
  torch?: string | null;
  layers?: Record<string, { active?: boolean; detail?: string }>;
}

export function doctorMarkdown(result: DoctorResult, interpreter: string): string {
  const lines = [
    "# torchpeek doctor",
    "",
    `- Server interpreter: \`${interpreter}\``,
    `- Worker Python: \`${result.python ?? "unknown"}\``,
    `- torch: ${result.torch ? `\`${result.torch}\`` : "**not importable** (shape previews need torch in the worker's interpreter)"}`,
    "",
    "## Sandbox layers",
    "",
    "| layer | active | detail |",
    "|---|---|---|",
  ];
  for (const [name, layer] of Object.entries(result.layers ?? {})) {
    const detail = (layer.detail ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
    lines.push(`| ${name} | ${layer.active ? "✅ yes" : "❌ no"} | ${detail} |`);
  }
  return lines.join("\n") + "\n";
}

export function doctorSummary(result: DoctorResult): string {
  const layers = Object.entries(result.layers ?? {});
  const active = layers.filter(([, l]) => l.active).map(([n]) => n);
  const torch = result.torch ? `torch ${result.torch}` : "torch missing";
  return `torchpeek doctor: ${torch}; sandbox layers active: ${active.length}/${layers.length}${active.length ? ` (${active.join(", ")})` : ""}`;
}

export interface PreviewResult {
  ok?: boolean;
  text?: string;
  value?: unknown;
  error?: { message?: string; type?: string } & Record<string, unknown>;
}

/** One line for a notification: the first `torch.Size(...)` line, or the error. */
export function previewSummary(result: PreviewResult): string {
  if (!result.ok) {
    const e = result.error;
    const msg = e?.message ?? firstLine(result.text) ?? "no preview";
    return `torchpeek: ${e?.type ? `${e.type}: ` : ""}${msg}`;
  }
  const text = stripMarkdown(result.text ?? "");
  const sizeLine = text.split("\n").find((l) => l.includes("torch.Size"));
  return `torchpeek: ${(sizeLine ?? firstLine(text) ?? "").trim()}`;
}

function firstLine(text?: string): string | undefined {
  return text?.split("\n").map((l) => l.trim()).find((l) => l !== "");
}

export function stripMarkdown(text: string): string {
  return text
    .replace(/^```.*$/gm, "")
    .replace(/`/g, "")
    .replace(/\*\*/g, "")
    .replace(/^#+\s*/gm, "")
    .replace(/\n{2,}/g, "\n")
    .trim();
}
