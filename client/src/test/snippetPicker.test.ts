import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { SnippetInfo, buildPickEntries, coerceParamValue, localized, paramPrompt, parseSnippetList } from "../snippetPicker";

const snippets: SnippetInfo[] = [
  { id: "train.loop", title: "Training loop", category: "training", description: "A basic loop", prefixes: ["train"] },
  { id: "ckpt.save", title: "Save checkpoint", category: "checkpoint", description: "torch.save a dict", prefixes: ["ckpt", "save"] },
  { id: "ckpt.load", title: "Load checkpoint", category: "checkpoint", prefixes: ["ckptl"] },
  { id: "misc", title: "", category: "", prefixes: [] },
];

describe("buildPickEntries", () => {
  it("groups by category, sorted, with a separator before each group", () => {
    const entries = buildPickEntries(snippets);
    assert.deepEqual(
      entries.map((e) => (e.kind === "separator" ? `--${e.label}` : e.label)),
      ["--checkpoint", "Load checkpoint", "Save checkpoint", "--other", "misc", "--training", "Training loop"],
    );
    const save = entries.find((e) => e.kind === "snippet" && e.id === "ckpt.save");
    assert.deepEqual(save, { kind: "snippet", label: "Save checkpoint", description: "ckpt, save", detail: "torch.save a dict", id: "ckpt.save" });
  });
});

describe("paramPrompt", () => {
  it("offers choices with the default first", () => {
    const p = paramPrompt({ name: "device", default: "cuda", choices: ["cpu", "cuda", "mps"], description: "where" });
    assert.equal(p.kind, "choice");
    assert.equal(p.title, "device — where");
    assert.deepEqual(p.kind === "choice" && p.items.map((i) => [i.label, i.picked]), [["cuda", true], ["cpu", false], ["mps", false]]);
  });
  it("asks for free text with the default filled in", () => {
    const p = paramPrompt({ name: "lr", default: 0.001, choices: null });
    assert.deepEqual(p, { kind: "input", name: "lr", title: "lr", value: "0.001", prompt: "Value for lr" });
    assert.equal(paramPrompt({ name: "path" }).kind === "input" && paramPrompt({ name: "path" }).title, "path");
  });
});

describe("coerceParamValue", () => {
  it("keeps the default's type", () => {
    assert.equal(coerceParamValue({ name: "n", default: 3 }, "10"), 10);
    assert.equal(coerceParamValue({ name: "n", default: 3 }, "ten"), "ten");
    assert.equal(coerceParamValue({ name: "b", default: false }, "yes"), true);
    assert.equal(coerceParamValue({ name: "s", default: "x" }, "42"), "42");
  });
});

describe("parseSnippetList", () => {
  it("rejects non-lists and drops entries without an id", () => {
    assert.equal(parseSnippetList({ error: 1 }), undefined);
    assert.deepEqual(parseSnippetList([{ id: "a", title: "A", category: "c" }, { title: "no id" }, null]), [{ id: "a", title: "A", category: "c" }]);
  });
});

describe("localized", () => {
  it("accepts plain strings and per-locale objects", () => {
    assert.equal(localized("plain"), "plain");
    assert.equal(localized({ en: "hello", ko: "안녕" }, "ko"), "안녕");
    assert.equal(localized({ en: "hello", ko: "안녕" }, "fr"), "hello");
    assert.equal(localized(null), "");
    assert.equal(paramPrompt({ name: "n", description: { en: "count" } }).title, "n — count");
  });
});
