// Preload for a child process (NODE_OPTIONS="--import <this file>", which --cpu-prof is not allowed in):
// profiles the whole process and writes a .cpuprofile to $BENCH_CPU_PROFILE_DIR on SIGTERM or exit.
import { Session } from "node:inspector";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // A session in the main thread answers synchronously, so this finishes before the process exits.
    session.post("Profiler.stop", (err, res) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `child-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  // SIGUSR2: start over (a benchmark sends it when its measured phase begins, so the profile covers that phase only).
  process.on("SIGUSR2", () => session.post("Profiler.stop", () => session.post("Profiler.start")));
  process.prependListener("SIGTERM", write);
  process.on("exit", write);
}
