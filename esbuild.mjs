// Bundles the extension (client/src/extension.ts -> client/out/extension.js)
// and, with --tests, the vscode-free unit tests into client/out/test/.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const tests = process.argv.includes("--tests");

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
};

const extension = {
  ...common,
  entryPoints: ["client/src/extension.ts"],
  outfile: "client/out/extension.js",
  external: ["vscode"],
};

const testEntries = readdirSync("client/src/test")
  .filter((name) => name.endsWith(".test.ts"))
  .map((name) => `client/src/test/${name}`);

const unitTests = {
  ...common,
  entryPoints: testEntries,
  outdir: "client/out/test",
  // The pure modules must not need vscode; bundling fails loudly if one does.
  external: [],
};

const options = tests ? unitTests : extension;
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
