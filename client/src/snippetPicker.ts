/**
 * The model behind "torchpeek: Insert Snippet…": quick-pick entries grouped by
 * category, and one prompt per snippet parameter. Pure; commands.ts shows it.
 */

/** Plain text, or one text per locale (`{en: ..., ko: ...}`). */
export type LocalizedText = string | Record<string, string>;

export interface SnippetParam {
  name: string;
  default?: unknown;
  description?: LocalizedText | null;
  choices?: unknown[] | null;
}

/** Picks the text for `locale` (then English, then any) out of a localized value. */
export function localized(value: LocalizedText | null | undefined, locale = "en"): string {
  if (!value) {
    return "";
  }
  if (typeof value === "string") {
    return value;
  }
  return value[locale] ?? value.en ?? Object.values(value)[0] ?? "";
}

/** One entry of `torchpeek.listSnippets`. */
export interface SnippetInfo {
  id: string;
  title: string;
  category: string;
  description?: LocalizedText | null;
  prefixes?: string[];
  params?: SnippetParam[];
}

export type PickEntry =
  | { kind: "separator"; label: string }
  | { kind: "snippet"; label: string; description: string; detail: string; id: string };

/** Categories in alphabetical order, snippets by title inside each, with a separator per category. */
export function buildPickEntries(snippets: SnippetInfo[]): PickEntry[] {
  const byCategory = new Map<string, SnippetInfo[]>();
  for (const s of snippets) {
    const category = s.category?.trim() || "other";
    byCategory.set(category, [...(byCategory.get(category) ?? []), s]);
  }
  const entries: PickEntry[] = [];
  for (const category of [...byCategory.keys()].sort((a, b) => a.localeCompare(b))) {
    entries.push({ kind: "separator", label: category });
    const items = byCategory.get(category)!.sort((a, b) => (a.title || a.id).localeCompare(b.title || b.id));
    for (const s of items) {
      entries.push({
        kind: "snippet",
        label: s.title || s.id,
        description: (s.prefixes ?? []).join(", "),
        detail: localized(s.description),
        id: s.id,
      });
    }
  }
  return entries;
}

export type ParamPrompt =
  | { kind: "choice"; name: string; title: string; items: { label: string; value: unknown; picked: boolean }[] }
  | { kind: "input"; name: string; title: string; value: string; prompt: string };

export function paramPrompt(param: SnippetParam): ParamPrompt {
  const description = localized(param.description);
  const title = `${param.name}${description ? ` — ${description}` : ""}`;
  if (Array.isArray(param.choices) && param.choices.length > 0) {
    const items = param.choices.map((c) => ({ label: String(c), value: c, picked: c === param.default }));
    // The default goes first so Enter accepts it.
    items.sort((a, b) => Number(b.picked) - Number(a.picked));
    return { kind: "choice", name: param.name, title, items };
  }
  return {
    kind: "input",
    name: param.name,
    title,
    value: param.default === undefined || param.default === null ? "" : String(param.default),
    prompt: description || `Value for ${param.name}`,
  };
}

/** Input boxes return strings; give the server the type the default has. */
export function coerceParamValue(param: SnippetParam, text: string): unknown {
  const d = param.default;
  if (typeof d === "number") {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : text;
  }
  if (typeof d === "boolean") {
    const t = text.trim().toLowerCase();
    if (["true", "yes", "1"].includes(t)) {
      return true;
    }
    if (["false", "no", "0"].includes(t)) {
      return false;
    }
  }
  return text;
}

/** Returns undefined when the server's answer is not a snippet list (old server, error). */
export function parseSnippetList(raw: unknown): SnippetInfo[] | undefined {
  if (!Array.isArray(raw)) {
    return undefined;
  }
  return raw.filter((s): s is SnippetInfo => typeof s === "object" && s !== null && typeof (s as SnippetInfo).id === "string");
}
