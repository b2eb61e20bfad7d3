/**
 * The local image catalogue of the `process` runtime: which image names run
 * as a real process, and with which entrypoint and default command (Docker's
 * ENTRYPOINT and CMD; a pod's `command` replaces the entrypoint, `args` the
 * command). Built-in images ship with kubeactor; users add their own in
 * `<data dir>/images.json`, re-read whenever it changes:
 *
 *   { "python-http": ["python3", "-m", "http.server"],
 *     "myorg/tool:1.2": { "entrypoint": ["/opt/tool/bin/tool"], "cmd": ["serve"] } }
 *
 * Names are matched without registry (`docker.io/library/`) and, failing an
 * exact `name:tag` entry, without tag or digest.
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface CatalogueImage {
  /** The catalogue key that matched. */
  readonly name: string;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly builtin: boolean;
}

const ECHO_SERVER = fileURLToPath(new URL("./images/echo-server.mjs", import.meta.url));

/** Images every node has. */
export const BUILTIN_IMAGES: Readonly<Record<string, { entrypoint: string[]; cmd: string[] }>> = {
  /** HTTP echo server: answers with the pod's name, namespace, IP and the request (listens on $HOST:$PORT, default POD_IP:8080). */
  "kubeactor/echo": { entrypoint: [process.execPath, ECHO_SERVER], cmd: [] },
  /** The host's shell and tools: `command`/`args` run on the host (PATH lookup), default `sh`. */
  "kubeactor/shell": { entrypoint: [], cmd: ["sh"] },
  busybox: { entrypoint: [], cmd: ["sh"] },
};

export const CATALOGUE_FILE = "images.json";

/** `docker.io/library/busybox:1.36` → `busybox:1.36`; `registry.k8s.io/pause:3.9` stays as it is. */
export const normaliseImage = (image: string): string => {
  let s = image.trim();
  for (const prefix of ["docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"]) {
    if (s.startsWith(prefix)) {
      s = s.slice(prefix.length);
      break;
    }
  }
  return s;
};

/** The name without `:tag` or `@digest` (a `:` inside the registry host part is a port, not a tag). */
export const untagged = (name: string): string => {
  const at = name.indexOf("@");
  const base = at >= 0 ? name.slice(0, at) : name;
  const slash = base.lastIndexOf("/");
  const colon = base.lastIndexOf(":");
  return colon > slash ? base.slice(0, colon) : base;
};

type Entry = { entrypoint: string[]; cmd: string[] };

export class ImageCatalogue {
  private user: Record<string, Entry> = {};
  private userMtime = -1;
  private userError: string | undefined;
  /** When the file was last looked at (`performance.now()`). */
  private checkedAt = -Infinity;

  /**
   * `file`: the user catalogue (JSON), optional and re-read when its mtime changes.
   * `recheckMs`: look at the file at most that often (default 0: on every lookup). A kubelet
   * resolves each container's image several times while starting it, and a stat each time was
   * ~3% of a pod start's CPU when thousands of pods start.
   */
  constructor(
    readonly file?: string,
    private readonly log: (line: string) => void = () => {},
    private readonly recheckMs = 0,
  ) {}

  /** The entry for an image, or undefined when the node cannot run it as a process. */
  resolve(image: string): CatalogueImage | undefined {
    this.reload();
    const name = normaliseImage(image);
    for (const key of [name, untagged(name)]) {
      const u = this.user[key];
      if (u) return { name: key, ...u, builtin: false };
      const b = BUILTIN_IMAGES[key];
      if (b) return { name: key, ...b, builtin: true };
    }
    return undefined;
  }

  /** Every image the catalogue knows, built-in first. */
  list(): CatalogueImage[] {
    this.reload();
    return [
      ...Object.entries(BUILTIN_IMAGES).map(([name, e]) => ({ name, ...e, builtin: true })),
      ...Object.entries(this.user).map(([name, e]) => ({ name, ...e, builtin: false })),
    ];
  }

  /** The user file's last parse error, if any (shown in pull errors). */
  get error(): string | undefined {
    return this.userError;
  }

  private reload(): void {
    if (!this.file) return;
    if (this.recheckMs > 0) {
      const now = performance.now();
      if (now - this.checkedAt < this.recheckMs) return;
      this.checkedAt = now;
    }
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      this.user = {};
      this.userMtime = -1;
      this.userError = undefined;
      return;
    }
    if (mtime === this.userMtime) return;
    this.userMtime = mtime;
    try {
      const raw = JSON.parse(readFileSync(this.file, "utf8")) as Record<string, unknown>;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("the file must hold a JSON object of image name → command");
      const out: Record<string, Entry> = {};
      for (const [name, v] of Object.entries(raw)) {
        const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");
        if (strings(v)) out[normaliseImage(name)] = { entrypoint: v, cmd: [] };
        else if (typeof v === "string") out[normaliseImage(name)] = { entrypoint: ["sh", "-c", v], cmd: [] };
        else if (typeof v === "object" && v !== null) {
          const e = v as { entrypoint?: unknown; cmd?: unknown; command?: unknown };
          const entrypoint = e.entrypoint ?? e.command ?? [];
          const cmd = e.cmd ?? [];
          if (!strings(entrypoint) || !strings(cmd)) throw new Error(`image "${name}": entrypoint and cmd must be lists of strings`);
          out[normaliseImage(name)] = { entrypoint, cmd };
        } else throw new Error(`image "${name}": expected a command list or {entrypoint, cmd}`);
      }
      this.user = out;
      this.userError = undefined;
    } catch (e) {
      this.userError = `${this.file}: ${(e as Error).message}`;
      this.log(`image catalogue: ${this.userError}`);
    }
  }
}
