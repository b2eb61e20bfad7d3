// Prints a .cpuprofile's top functions by self time and by total (inclusive) time:
//   node bench/lib/cpu-profile-top.mjs FILE [N]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: cpu-profile-top.mjs FILE [N]");
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = profile.samples.length;
// tsx compiles each .ts file to one minified line; its cache (the OS temp dir's tsx-<uid>/) keeps the
// source maps, so positions in .ts files are mapped back to their source lines (the newest compile wins).
const maps = new Map();
try {
  const { SourceMapConsumer } = createRequire(import.meta.url)("source-map-js");
  const dir = readdirSync(tmpdir()).filter((d) => d.startsWith("tsx-")).map((d) => join(tmpdir(), d))[0];
  const wanted = new Set(profile.nodes.map((n) => n.callFrame.url).filter((u) => u.startsWith("file://") && u.endsWith(".ts")).map((u) => u.slice(7)));
  const newest = new Map();
  for (const f of dir ? readdirSync(dir) : []) {
    const path = join(dir, f);
    let text;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    const m = /"sources":\["([^"]+)"\]/.exec(text.slice(-2000));
    if (!m || !wanted.has(m[1])) continue;
    const mtime = statSync(path).mtimeMs;
    if ((newest.get(m[1])?.mtime ?? -1) < mtime) newest.set(m[1], { mtime, path });
  }
  for (const [src, { path }] of newest) maps.set(`file://${src}`, new SourceMapConsumer(JSON.parse(readFileSync(path, "utf8")).map));
} catch (e) {
  console.error(`no source maps: ${e.message}`);
}
const lineOf = (f) => {
  const map = maps.get(f.url);
  if (!map || f.lineNumber < 0) return f.lineNumber + 1;
  return map.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber }).line ?? f.lineNumber + 1;
};
const label = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^.*\/(libs|node_modules|bench|apps)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${url}:${lineOf(f)}`;
};
const self = new Map();
const inclusive = new Map();
for (const [id, count] of hits) {
  const n = byId.get(id);
  self.set(label(n), (self.get(label(n)) ?? 0) + count);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + count);
  }
}
const print = (title, m) => {
  console.log(`\n${title} (${total} samples)`);
  for (const [l, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((c / total) * 100).toFixed(1).padStart(5)}%  ${l}`);
};
print("self", self);
print("inclusive", inclusive);
// Per file (self time), idle excluded: which component the busy time goes to.
const fileOf = (n) => n.callFrame.url.replace(/^.*\/(libs|node_modules|bench|apps)\//, "$1/") || n.callFrame.functionName;
const perFile = new Map();
let busy = 0;
for (const [id, count] of hits) {
  const n = byId.get(id);
  if (n.callFrame.functionName === "(idle)") continue;
  busy += count;
  perFile.set(fileOf(n), (perFile.get(fileOf(n)) ?? 0) + count);
}
console.log(`\nself time per file, % of busy samples (${busy})`);
for (const [f, c] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((c / busy) * 100).toFixed(1).padStart(5)}%  ${f}`);
