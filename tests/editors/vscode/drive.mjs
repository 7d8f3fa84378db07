// Drives VS Code (code-server) in Debian's chromium: completion, hover and
// "torchpeek: Insert Snippet" through the command palette.
//
// Usage: node drive.mjs [config.json] (default: $TORCHPEEK_EDITOR_CONFIG); the config is written by
// tests/editors/test_vscode.py. Prints one JSON line with the outcome and
// saves screenshots into config.artifacts. Every wait polls with a deadline.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { chromium } from "playwright-core";

const cfg = JSON.parse(readFileSync(process.argv[2] ?? process.env.TORCHPEEK_EDITOR_CONFIG, "utf8"));
const steps = [];
let shot = 0;

function log(msg) {
  process.stderr.write(`[vscode ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// A failed step is recorded and the next one still runs (one missing feature
// must not hide the others); `fatal` steps end the run.
async function step(name, fn, { fatal = false } = {}) {
  const t0 = Date.now();
  log(`${name}…`);
  try {
    const value = await fn();
    const detail = typeof value === "string" && value.length > 800 ? `${value.slice(0, 800)}…` : value;
    steps.push({ name, ok: true, seconds: (Date.now() - t0) / 1000, detail });
    log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (err) {
    steps.push({ name, ok: false, seconds: (Date.now() - t0) / 1000, error: String(err?.stack ?? err) });
    log(`${name}: FAILED ${err}`);
    if (fatal) throw err;
    if (currentPage) {
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase().slice(0, 40);
      result.screenshots.push(await screenshot(currentPage, `FAILED-${slug}`));
    }
    await currentPage?.keyboard.press("Escape").catch(() => undefined);
    await currentPage?.keyboard.press("Escape").catch(() => undefined);
  }
}

let currentPage;

async function poll(what, fn, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`))));
  });
}

/** 1-based line of `text` in the file on disk (the editor saves before each check). */
function lineOf(file, text) {
  const index = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`'${text}' not found in ${file}`);
  return index + 1;
}

/** Moves the cursor to the start of the line holding `text` (Ctrl+G). */
async function gotoLineOf(page, file, text) {
  await page.keyboard.press("Control+S");
  await poll("the file to be saved", async () => (await page.locator(".tab.dirty").count()) === 0, 10000);
  // The save may still be landing on disk (truncate, then write): read until the line is there.
  const line = await poll(`'${text}' in ${file}`, () => lineOf(file, text), 10000, 100);
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").waitFor();
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await page.keyboard.press("Home");
}

/** Runs a command from the palette (F1) by its title. */
async function runCommand(page, title) {
  await page.keyboard.press("F1");
  await page.locator(".quick-input-widget input").waitFor();
  await page.keyboard.type(title);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title.split(": ").pop() });
  await poll(`'${title}' in the palette`, () => row.count(), 20000);
  await page.keyboard.press("Enter");
}

/** Waits for a notification toast whose text matches `pattern`; returns its text. */
async function notification(page, pattern, timeoutMs) {
  const toasts = page.locator(".notifications-toasts .notification-list-item-message");
  return poll(
    `a notification matching ${pattern}`,
    async () => {
      for (const text of await toasts.allTextContents()) {
        if (pattern.test(text)) return text;
      }
      return false;
    },
    timeoutMs,
  );
}

async function screenshot(page, name) {
  const file = path.join(cfg.artifacts, `vscode-${String(++shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e}`));
  return file;
}

// ---------------------------------------------------------------- setup

const dirs = Object.fromEntries(
  ["userData", "extensions", "workspace", "xdgConfig", "xdgData", "xdgCache", "xdgState", "chromeProfile"].map((k) => [k, path.join(cfg.workdir, k)]),
);
Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
mkdirSync(cfg.artifacts, { recursive: true });
mkdirSync(path.join(dirs.userData, "User"), { recursive: true });
writeFileSync(
  path.join(dirs.userData, "User", "settings.json"),
  JSON.stringify(
    {
      // No torchpeek.python: the extension starts from `python3` on PATH, a bare venv.
      "torchpeek.trace.server": "messages",
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "security.workspace.trust.enabled": false,
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "extensions.ignoreRecommendations": true,
      "telemetry.telemetryLevel": "off",
      "update.mode": "none",
      "editor.wordBasedSuggestions": "off",
      "editor.hover.delay": 100,
      "files.autoSave": "off",
      "chat.disableAIFeatures": true,
    },
    null,
    2,
  ),
);
const demo = path.join(dirs.workspace, "demo.py");
copyFileSync(cfg.fixture, demo);
const notebookFile = path.join(dirs.workspace, "demo.ipynb");
if (cfg.notebookFixture) copyFileSync(cfg.notebookFixture, notebookFile);

const env = {
  ...process.env,
  // `python3` on PATH is a venv with neither torch nor torchpeek. VSCODE_CLI=1 keeps this
  // PATH: otherwise the server replaces it with the login shell's (pyenv, ~/.local, ...).
  PATH: `${cfg.pathPrepend}${path.delimiter}${process.env.PATH ?? ""}`,
  VSCODE_CLI: "1",
  XDG_CONFIG_HOME: dirs.xdgConfig,
  XDG_DATA_HOME: dirs.xdgData,
  XDG_CACHE_HOME: dirs.xdgCache,
  XDG_STATE_HOME: dirs.xdgState,
};
const common = ["--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions];
const entry = path.join(cfg.codeServer, "out", "node", "entry.js");

let codeServer;
let browser;
const result = { ok: false, steps, screenshots: [] };

async function main() {
  await step("install extension", () => run(process.execPath, [entry, ...common, "--install-extension", cfg.vsix], env).then((o) => o.trim().split("\n").pop()), { fatal: true });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await step("start code-server", async () => {
    codeServer = spawn(
      process.execPath,
      [entry, ...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", dirs.workspace],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const logFile = path.join(cfg.artifacts, "vscode-code-server.log");
    let text = "";
    codeServer.stdout.on("data", (d) => { text += d; writeFileSync(logFile, text); });
    codeServer.stderr.on("data", (d) => { text += d; writeFileSync(logFile, text); });
    await poll("code-server /healthz", async () => (await fetch(`${url}/healthz`)).ok, 60000);
    return url;
  }, { fatal: true });

  browser = await chromium.launch({
    executablePath: cfg.chromium,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  currentPage = page;
  page.setDefaultTimeout(30000);

  await step("open workbench", async () => {
    await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90000 });
    await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor({ timeout: 60000 }).catch(() => undefined);
  }, { fatal: true });

  await step("open demo.py", async () => {
    await page.keyboard.press("Control+P");
    await page.locator(".quick-input-widget input").waitFor();
    await page.keyboard.type("demo.py");
    await poll("demo.py in quick open", () => page.locator(".quick-input-list .monaco-list-row", { hasText: "demo.py" }).count(), 20000);
    await page.keyboard.press("Enter");
    await page.locator('.tab[data-resource-name="demo.py"], .tab:has-text("demo.py")').first().waitFor();
    await page.locator(".monaco-editor .view-lines").first().waitFor();
  }, { fatal: true });

  const status = page.locator('[id="torchpeek.status"], .statusbar-item:has-text("torchpeek")').first();
  const hover = page.locator(".monaco-hover:not(.hidden)");
  /** Hovers the line of demo.py holding `text` until the hover satisfies `accept`. */
  async function hoverUntil(text, accept, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      await page.keyboard.press("Escape");
      await gotoLineOf(page, demo, text);
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      try {
        return await poll(
          "a hover on demo.py",
          async () => {
            last = (await hover.first().textContent({ timeout: 1000 }).catch(() => "")) ?? "";
            return accept(last) ? last : false;
          },
          8000,
          300,
        );
      } catch {
        // not yet: hover again
      }
    }
    throw new Error(`no matching hover within ${timeoutMs} ms; last: ${last.slice(0, 300)}`);
  }
  const statusText = async () => ((await status.getAttribute("aria-label")) ?? "") + " " + ((await status.textContent()) ?? "");

  await step("bare python3: server from bundled libs, missing torch explained", async () => {
    await status.waitFor({ timeout: 60000 });
    const label = await poll("the status bar to say torch is missing", async () => (/no torch/i.test(await statusText()) ? await statusText() : false), 120000);
    const text = await hoverUntil(cfg.hoverText, (t) => t.includes("torch is not installed"), 60000);
    if (!text.includes("-m pip install torch")) throw new Error(`hover without an install command: ${text}`);
    await screenshot(page, "no-torch").then((f) => result.screenshots.push(f));
    // Now point torchpeek.python at the venv with torch: previews must start working.
    const settingsFile = path.join(dirs.workspace, ".vscode", "settings.json");
    mkdirSync(path.dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({ "torchpeek.python": cfg.python }, null, 2));
    await poll("the status bar to leave 'no torch'", async () => !/no torch/i.test(await statusText()), 60000);
    return `${label.trim()} | ${text.slice(0, 400)}`;
  }, { fatal: true });

  await step("server status in the status bar", async () => {
    await status.waitFor({ timeout: 60000 });
    // The status item leaves "starting" once the client has initialized.
    const label = await poll(
      "torchpeek status to leave 'starting'",
      async () => {
        const t = ((await status.getAttribute("aria-label")) ?? "") + " " + ((await status.textContent()) ?? "");
        const spinning = await status.locator(".codicon-sync.codicon-modifier-spin, .codicon-sync\\~spin").count();
        return !/starting/i.test(t) && (spinning === 0 || /warming/i.test(t)) ? t.trim() : false;
      },
      90000,
    );
    await screenshot(page, "status").then((f) => result.screenshots.push(f));
    return label;
  });

  const editor = page.locator(".monaco-editor .view-lines").first();
  await step(`completion '${cfg.prefix}'`, async () => {
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type(cfg.prefix, { delay: 30 });
    const label = cfg.completionLabel ?? cfg.prefix;
    const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
    const row = page.locator(".suggest-widget.visible .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: exact }) });
    await poll(
      "the torchpeek item in the suggest widget",
      async () => {
        if ((await row.count()) > 0) return true;
        if ((await page.locator(".suggest-widget.visible").count()) === 0) await page.keyboard.press("Control+Space");
        return false;
      },
      60000,
      500,
    );
    await screenshot(page, "suggest").then((f) => result.screenshots.push(f));
    await row.first().click();
    await page.keyboard.press("Escape"); // leave snippet mode
    await page.keyboard.press("Control+S");
    const text = await poll(
      "the snippet body and its import in demo.py",
      () => {
        const t = readFileSync(demo, "utf8");
        return t.includes(cfg.expectBody) && t.includes(cfg.expectImport) ? t : false;
      },
      15000,
    );
    await screenshot(page, "completed").then((f) => result.screenshots.push(f));
    return text;
  });

  // Type each word letter by letter as a user does: VS Code filters the list itself, and
  // the top row (data-index 0) must start with what was typed and end as the word itself.
  const topLabel = page.locator('.suggest-widget.visible .monaco-list-row[data-index="0"] .label-name');
  const newLine = async () => {
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
  };
  const dropLine = async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Shift+K");
  };
  for (const word of cfg.rankingWords ?? ["ckpt", "seed", "gpu", "cv2"]) {
    await step(`ranking '${word}' at every keystroke`, async () => {
      await newLine();
      const seen = [];
      for (let n = 1; n <= word.length; n++) {
        const typed = word.slice(0, n);
        await page.keyboard.type(word[n - 1], { delay: 30 });
        const first = await poll(
          `the top suggestion after '${typed}'`,
          async () => {
            if ((await page.locator(".suggest-widget.visible").count()) === 0) {
              await page.keyboard.press("Control+Space");
              return false;
            }
            const label = ((await topLabel.first().textContent({ timeout: 1000 })) ?? "").trim();
            return label.startsWith(typed) && (n < word.length || label === word) ? label : false;
          },
          20000,
          300,
        );
        seen.push(`${typed} -> ${first}`);
      }
      await dropLine();
      return seen.join(", ");
    });
  }

  await step("no suggestions after a dot", async () => {
    const shown = [];
    for (const text of ["torch.", "x.view", "optimizer.zero_grad"]) {
      await newLine();
      await page.keyboard.type(text, { delay: 30 });
      await page.keyboard.press("Control+Space");
      await page.waitForTimeout(1500);
      const rows = await page.locator(".suggest-widget.visible .monaco-list-row").count();
      if (rows > 0) shown.push(`${text}: ${rows} rows`);
      await dropLine();
    }
    if (shown.length) throw new Error(`suggestions where none belong: ${shown.join("; ")}`);
    return "none";
  });

  await step("hover shows torch.Size", async () => {
    const hover = page.locator(".monaco-hover:not(.hidden)");
    const deadline = Date.now() + (cfg.hoverTimeoutMs ?? 120000);
    let last = "";
    while (Date.now() < deadline) {
      await page.keyboard.press("Escape");
      await gotoLineOf(page, demo, cfg.hoverText);
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      try {
        last = await poll(
          "a torchpeek hover",
          async () => {
            const t = (await hover.first().textContent({ timeout: 1000 })) ?? "";
            return t.includes("torch.Size([") ? t : false;
          },
          8000,
          300,
        );
        await screenshot(page, "hover").then((f) => result.screenshots.push(f));
        return last;
      } catch {
        last = (await hover.first().textContent({ timeout: 500 }).catch(() => "")) ?? "";
        log(`hover so far: ${JSON.stringify(last.slice(0, 200))}; retrying`);
      }
    }
    await screenshot(page, "hover-failed").then((f) => result.screenshots.push(f));
    throw new Error(`no torch.Size([ in the hover; last hover text: ${JSON.stringify(last)}`);
  });

  await step("command palette: torchpeek: Insert Snippet", async () => {
    await page.keyboard.press("Escape");
    const before = readFileSync(demo, "utf8");
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await runCommand(page, "torchpeek: Insert Snippet");
    await poll("the snippet quick pick", async () => ((await page.locator(".quick-input-title").textContent()) ?? "").includes("Insert Snippet"), 30000);
    await page.keyboard.type(cfg.paletteFilter ?? cfg.prefix);
    await poll("a matching snippet", () => page.locator(".quick-input-list .monaco-list-row").count(), 10000);
    await screenshot(page, "palette-pick").then((f) => result.screenshots.push(f));
    await page.keyboard.press("Enter");
    // Accept every parameter prompt with its default until the quick input closes.
    // The widget hides briefly between two prompts, so "closed" means closed for three checks in a row.
    let closedChecks = 0;
    await poll(
      "the parameter prompts to finish",
      async () => {
        if (await page.locator(".quick-input-widget").isVisible()) {
          closedChecks = 0;
          await page.keyboard.press("Enter");
          return false;
        }
        return ++closedChecks >= 3;
      },
      30000,
      500,
    );
    await page.keyboard.press("Control+S");
    const text = await poll(
      "the inserted snippet in demo.py",
      () => {
        const t = readFileSync(demo, "utf8");
        const body = cfg.paletteExpectBody ?? cfg.expectBody;
        return t.split(body).length > before.split(body).length ? t : false;
      },
      15000,
    );
    await screenshot(page, "palette-inserted").then((f) => result.screenshots.push(f));
    return text;
  });

  await step("command palette: torchpeek: Preview Shape at Cursor", async () => {
    await page.keyboard.press("Escape");
    await editor.click();
    await gotoLineOf(page, demo, cfg.hoverText);
    await runCommand(page, "torchpeek: Preview Shape at Cursor");
    const text = await notification(page, /torch\.Size\(\[/, cfg.hoverTimeoutMs ?? 120000);
    await screenshot(page, "preview-command").then((f) => result.screenshots.push(f));
    return text;
  });

  await step("command palette: torchpeek: Reload Snippets", async () => {
    await page.keyboard.press("Escape");
    await runCommand(page, "torchpeek: Reload Snippets");
    return notification(page, /loaded \d+ snippets/, 30000);
  });

  await step("command palette: torchpeek: Run Doctor", async () => {
    await page.keyboard.press("Escape");
    await runCommand(page, "torchpeek: Run Doctor");
    const text = await notification(page, /sandbox layers active/, 60000);
    // The report opens as a rendered markdown preview: a webview, i.e. nested iframes.
    await poll(
      "the doctor report in a markdown preview",
      async () => {
        for (const frame of page.frames()) {
          const text = await frame.locator("body").textContent({ timeout: 500 }).catch(() => "");
          if (text?.includes("Sandbox layers")) return true;
        }
        return false;
      },
      20000,
      500,
    );
    await screenshot(page, "doctor").then((f) => result.screenshots.push(f));
    return text;
  });

  await step("notebook: completion and hover in Python cells", async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+P");
    await page.locator(".quick-input-widget input").waitFor();
    await page.keyboard.type("demo.ipynb");
    await poll("demo.ipynb in quick open", () => page.locator(".quick-input-list .monaco-list-row", { hasText: "demo.ipynb" }).count(), 20000);
    await page.keyboard.press("Enter");
    const cells = page.locator(".notebook-editor .cell-editor-container .monaco-editor");
    await poll("two notebook cells", async () => (await cells.count()) >= 2, 30000);
    // Completion in the empty second cell.
    await cells.nth(1).locator(".view-lines").click();
    await page.keyboard.type(cfg.prefix, { delay: 30 });
    const label = cfg.completionLabel ?? cfg.prefix;
    const row = page.locator(".suggest-widget.visible .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: label }) });
    await poll(
      "the torchpeek item in the notebook cell",
      async () => {
        if ((await row.count()) > 0) return true;
        if ((await page.locator(".suggest-widget.visible").count()) === 0) await page.keyboard.press("Control+Space");
        return false;
      },
      30000,
      500,
    );
    await screenshot(page, "notebook-suggest").then((f) => result.screenshots.push(f));
    await page.keyboard.press("Escape");
    // Hover `x` at the start of the first cell's third line.
    const line = cells.nth(0).locator(".view-line", { hasText: cfg.hoverText });
    const box = await line.boundingBox();
    const hover = page.locator(".monaco-hover:not(.hidden)");
    const text = await poll(
      "a torchpeek hover in the notebook",
      async () => {
        await page.mouse.move(box.x + 200, box.y + box.height / 2);
        await page.mouse.move(box.x + 3, box.y + box.height / 2);
        const t = (await hover.first().textContent({ timeout: 3000 }).catch(() => "")) ?? "";
        return t.includes("torch.Size([") ? t : false;
      },
      cfg.hoverTimeoutMs ?? 90000,
      1000,
    );
    await screenshot(page, "notebook-hover").then((f) => result.screenshots.push(f));
    return text;
  });

  result.ok = steps.every((s) => s.ok);
  if (!result.ok) result.error = steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.error.split("\n")[0]}`).join("; ");
}

const started = Date.now();
try {
  await main();
} catch (err) {
  result.error = String(err?.stack ?? err);
  try {
    const page = browser?.contexts()[0]?.pages()[0];
    if (page) result.screenshots.push(await screenshot(page, "failure"));
  } catch {}
} finally {
  result.seconds = (Date.now() - started) / 1000;
  await browser?.close().catch(() => undefined);
  codeServer?.kill("SIGTERM");
  writeFileSync(cfg.result ?? path.join(cfg.artifacts, "vscode-result.json"), JSON.stringify(result, null, 2));
  process.stdout.write(`${result.ok ? "ok" : "FAILED"}: ${steps.filter((x) => x.ok).length}/${steps.length} steps in ${result.seconds.toFixed(1)}s\n`);
  process.exit(result.ok ? 0 : 1);
}
