/**
 * A pod's status writer (the kubelet's status manager for one pod): writes
 * the latest status it was given, one write at a time (newer requests
 * replace queued ones), skipping writes that change nothing; a 409 re-reads
 * the pod and retries, a 404 means the pod is gone, any other failure
 * (a timeout under load) is tried again a second later.
 *
 * A plain object the pod actor keeps in its context rather than an invoked
 * XState actor: at 150k pods an actor (its mailbox, system registration and
 * bound closures, ~1.5 KiB) per pod costs ~220 MiB, and every WRITE / SEEN
 * went through XState's event queue. It writes only while `alive()` (the pod
 * actor is running), as the invoked actor stopped with the pod actor.
 */
import { statusCodeOf } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { rfc3339 } from "./runtime/clock.ts";
import { mergePodStatus, sameStatus } from "./pod-status.ts";

/** The API calls the writer makes (a subset of the pod actor's PodApi). */
export interface StatusApi {
  getPod(namespace: string, name: string): Promise<JsonObject>;
  updatePodStatus(pod: JsonObject): Promise<JsonObject>;
}

interface Job {
  readonly pod: JsonObject;
  readonly status: JsonObject;
}

const metaOf = (o: JsonObject) => o.metadata as { name: string; namespace: string; resourceVersion?: string };
const rvOf = (o: JsonObject | undefined) => Number(o ? (metaOf(o)?.resourceVersion ?? 0) : 0);
/** Pause before writing again after a failure that is not a conflict (the kubelet syncs pods every 10 s; sooner here). */
const RETRY_MS = 1000;

export class PodStatusWriter {
  private queued: Job | undefined;
  private busy = false;
  /** Our last write's answer, kept only while the informer lags behind it. */
  private latest: JsonObject | undefined;
  /** The newest resourceVersion the pod actor has seen from the informer. */
  private seenRv = 0;
  /**
   * The informer's newest object (the pod actor's own `pod`, so no extra copy): a status queued
   * before the informer delivered our previous write carries an older object than this, and
   * writing it would be a 409, a GET and a second write.
   */
  private seenPod: JsonObject | undefined;

  constructor(
    private readonly api: StatusApi,
    private readonly now: () => number,
    private readonly alive: () => boolean,
    private readonly log?: (line: string) => void,
  ) {}

  /** Write this status (merged into the newest pod known) when the write before it is done. */
  write(pod: JsonObject, status: JsonObject): void {
    this.queued = { pod, status };
    void this.pump();
  }

  /** The informer caught up with this version: our own copy of an older or equal one can go. */
  seen(pod: JsonObject): void {
    const rv = rvOf(pod);
    if (rv >= this.seenRv) {
      this.seenRv = rv;
      this.seenPod = pod;
    }
    if (this.latest && this.seenRv >= rvOf(this.latest)) this.latest = undefined;
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    while (this.queued && this.alive()) {
      const job = this.queued;
      this.queued = undefined;
      await this.writeOne(job).catch((e) => this.log?.(`status write failed: ${(e as Error).message}`));
    }
    this.busy = false;
  }

  private async writeOne(job: Job): Promise<void> {
    let pod = job.pod;
    if (this.seenPod && rvOf(this.seenPod) > rvOf(pod)) pod = this.seenPod;
    if (this.latest && rvOf(this.latest) > rvOf(pod)) pod = this.latest;
    for (let attempt = 0; attempt < 5 && this.alive(); attempt++) {
      const current = pod.status as JsonObject | undefined;
      const next = mergePodStatus(current, job.status, rfc3339(this.now()));
      if (sameStatus(next, current)) return;
      try {
        const written = await this.api.updatePodStatus({ ...pod, status: next });
        // The watch often delivers our write before the reply: then the informer's copy will do.
        this.latest = rvOf(written) > this.seenRv ? written : undefined;
        return;
      } catch (e) {
        if (statusCodeOf(e) === 404) return;
        if (statusCodeOf(e) !== 409) {
          // A timeout or a server error: the kubelet's status manager tries again on its next sync, unless a
          // newer status replaced this one meanwhile (a pod whose Running status is lost would stay Pending).
          this.log?.(`status of ${metaOf(pod).namespace}/${metaOf(pod).name}: ${(e as Error).message}; retrying in ${RETRY_MS / 1000} s`);
          await new Promise((r) => setTimeout(r, RETRY_MS));
          this.queued ??= job;
          return;
        }
        pod = this.latest = await this.api.getPod(metaOf(pod).namespace, metaOf(pod).name).catch(() => pod);
      }
    }
  }
}
