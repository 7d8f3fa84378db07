/**
 * Turns the `torchpeek.*` VS Code settings into the server's
 * initializationOptions (and the answer to `workspace/configuration` pulls).
 *
 * Pure: the caller passes a getter over the configuration, so this module has
 * no `vscode` import and is unit-tested under plain Node.
 */

export type Locale = "auto" | "en" | "ko";

export interface SimulatedGpu {
  name: string;
  totalMemoryMb: number;
  count: number;
  capability: [number, number];
}

export interface PreviewSettings {
  enabled: boolean;
  timeoutMs: number;
  memoryMb: number;
}

export interface SnapshotSettings {
  enabled: boolean;
  memoryMb: number;
}

/** The camelCase shape the server reads from initializationOptions. */
export interface ServerSettings {
  python?: string;
  snippetPaths: string[];
  preview: PreviewSettings;
  snapshots: SnapshotSettings;
  simulatedGpu?: SimulatedGpu;
  locale: Locale;
}

/** Reads one key under `torchpeek.`; returns `fallback` when unset. */
export type ConfigGetter = <T>(key: string, fallback: T) => T;

export interface SettingsContext {
  /** Workspace trust: previews run code, so an untrusted workspace never gets them. */
  trusted: boolean;
  /** The interpreter the worker should use (already resolved). */
  python?: string;
  /** First workspace folder, for `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string;
  home?: string;
}

export const DEFAULT_PREVIEW: PreviewSettings = { enabled: true, timeoutMs: 5000, memoryMb: 4096 };
export const DEFAULT_SNAPSHOTS: SnapshotSettings = { enabled: true, memoryMb: 1024 };
const LOCALES: readonly Locale[] = ["auto", "en", "ko"];

export function buildServerSettings(get: ConfigGetter, ctx: SettingsContext): ServerSettings {
  const settings: ServerSettings = {
    snippetPaths: snippetPaths(get("snippetPaths", [] as unknown), ctx),
    preview: {
      enabled: ctx.trusted && get("preview.enabled", DEFAULT_PREVIEW.enabled) !== false,
      timeoutMs: positiveInt(get("preview.timeoutMs", DEFAULT_PREVIEW.timeoutMs), DEFAULT_PREVIEW.timeoutMs),
      memoryMb: positiveInt(get("preview.memoryMb", DEFAULT_PREVIEW.memoryMb), DEFAULT_PREVIEW.memoryMb),
    },
    snapshots: {
      enabled: get("snapshots.enabled", DEFAULT_SNAPSHOTS.enabled) !== false,
      memoryMb: positiveInt(get("snapshots.memoryMb", DEFAULT_SNAPSHOTS.memoryMb), DEFAULT_SNAPSHOTS.memoryMb),
    },
    locale: locale(get("locale", "auto" as unknown)),
  };
  if (ctx.python) {
    settings.python = ctx.python;
  }
  const gpu = simulatedGpu(get("simulatedGpu", null as unknown));
  if (gpu) {
    settings.simulatedGpu = gpu;
  }
  return settings;
}

/** Expands `~`, `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in a path setting. */
export function expandPath(
  value: string,
  ctx: Pick<SettingsContext, "workspaceFolder" | "home">,
  env: Record<string, string | undefined> = {},
): string {
  let out = value.trim();
  if (ctx.home && (out === "~" || out.startsWith("~/"))) {
    out = ctx.home + out.slice(1);
  }
  out = out.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName) {
      return env[envName] ?? "";
    }
    if (name === "workspaceFolder") {
      return ctx.workspaceFolder ?? whole;
    }
    return ctx.home ?? whole;
  });
  return out;
}

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");
}

function snippetPaths(raw: unknown, ctx: SettingsContext): string[] {
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw
    .filter((p): p is string => typeof p === "string" && p.trim() !== "")
    .map((p) => expandPath(p, ctx))
    .map((p) => (isAbsolute(p) || !ctx.workspaceFolder ? p : `${ctx.workspaceFolder}/${p}`));
}

function positiveInt(raw: unknown, fallback: number): number {
  return typeof raw === "number" && Number.isFinite(raw) && raw > 0 ? Math.round(raw) : fallback;
}

function locale(raw: unknown): Locale {
  return LOCALES.includes(raw as Locale) ? (raw as Locale) : "auto";
}

/** An empty or malformed object means "no simulated GPU"; missing fields get plausible defaults. */
export function simulatedGpu(raw: unknown): SimulatedGpu | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || Object.keys(raw).length === 0) {
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  const cap = Array.isArray(o.capability) && o.capability.length === 2 && o.capability.every((n) => Number.isInteger(n))
    ? (o.capability as [number, number])
    : ([8, 0] as [number, number]);
  return {
    name: typeof o.name === "string" && o.name !== "" ? o.name : "Simulated GPU",
    totalMemoryMb: positiveInt(o.totalMemoryMb, 16384),
    count: positiveInt(o.count, 1),
    capability: [cap[0], cap[1]],
  };
}

/** The setting keys whose change means the server has to restart. */
export function needsRestart(changed: (section: string) => boolean): boolean {
  return changed("torchpeek") && !onlyTraceChanged(changed);
}

function onlyTraceChanged(changed: (section: string) => boolean): boolean {
  const keys = ["python", "snippetPaths", "preview", "simulatedGpu", "locale"];
  return changed("torchpeek.trace") && !keys.some((k) => changed(`torchpeek.${k}`));
}
