/**
 * Runs an entry point under the V8 CPU profiler, switched by signals so a
 * profile covers exactly one benchmark phase:
 *   tsx bench/lib/profiled.ts DIR entry.ts [args...]
 * The first SIGUSR2 starts profiling, the next writes DIR/<n>.cpuprofile
 * (open it in Chrome DevTools or speedscope) and stops. (`node --cpu-prof`
 * cannot be passed through NODE_OPTIONS, and profiles the whole life.)
 */
import { Session } from "node:inspector/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, entry, ...rest] = process.argv.slice(2);
if (!dir || !entry) throw new Error("usage: profiled.ts DIR entry.ts [args...]");
mkdirSync(dir, { recursive: true });
const session = new Session();
session.connect();
let running = false;
let n = 0;
process.on("SIGUSR2", () => {
  void (async () => {
    if (!running) {
      running = true;
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 200 });
      await session.post("Profiler.start");
      return;
    }
    running = false;
    const { profile } = await session.post("Profiler.stop");
    const file = join(dir, `${++n}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.error(`profiled: wrote ${file}`);
  })();
});
process.argv = [process.argv[0]!, resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
