/**
 * `resourceVersion` and `resourceVersionMatch` on list, with kube-apiserver's
 * rules (ValidateListOptions and the storage layer's semantics):
 *  - "" / "0": the latest state (kube-apiserver may serve "0" from its cache;
 *    ours is the store's latest revision, which is never older);
 *  - Exact N: the state at revision N — 410 Expired once N is compacted;
 *  - NotOlderThan N: the latest state, provided it is at least N;
 *  - N without a match: NotOlderThan, or Exact when a limit is given (the
 *    legacy paging rule);
 *  - a revision the store has not reached yet: 504 Timeout
 *    "Too large resource version" after waiting up to 3 s, as the watch cache does.
 */
import { badRequest, invalid, isStatusError, StatusError } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";

export type RevisionChoice = { readonly exact: number } | { readonly notOlderThan: number } | { readonly latest: true };

const listOptionsInvalid = (message: string, reason = "FieldValueForbidden") =>
  invalid("ListOptions", "meta.k8s.io", "", [{ reason, field: "resourceVersionMatch", message }]);

/** Validates the combination and says which revision a list must be served at. */
export const revisionChoice = (q: URLSearchParams, watch: boolean): RevisionChoice => {
  const rv = q.get("resourceVersion") ?? "";
  const match = q.get("resourceVersionMatch") ?? "";
  if (match !== "" && match !== "Exact" && match !== "NotOlderThan") {
    throw listOptionsInvalid(`Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`, "FieldValueNotSupported");
  }
  if (match !== "") {
    if (watch) throw listOptionsInvalid("Forbidden: resourceVersionMatch is forbidden for watch");
    if (rv === "") throw listOptionsInvalid("Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (q.get("continue")) throw listOptionsInvalid("Forbidden: resourceVersionMatch is forbidden when continue is provided");
    if (match === "Exact" && rv === "0") throw listOptionsInvalid('Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  if (rv === "" || rv === "0") return { latest: true };
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing "${rv}": invalid syntax`);
  if (q.get("continue")) throw badRequest("specifying resource version is not allowed when using continue");
  const n = Number(rv);
  if (match === "Exact" || (match === "" && Number(q.get("limit") ?? "0") > 0)) return { exact: n };
  return { notOlderThan: n };
};

const tooLarge = (wanted: number, current: number) =>
  new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `Timeout: Too large resource version: ${wanted}, current: ${current}`,
    reason: "Timeout",
    details: { causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }], retryAfterSeconds: 1 },
    code: 504,
  });

/** Waits (up to 3 s) until the store has reached `wanted`; 504 otherwise. */
export const awaitRevision = async (store: StoreClient, wanted: number, waitMs = 3000): Promise<void> => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { revision } = await store.status(2000);
    if (revision >= wanted) return;
    if (Date.now() >= deadline) throw tooLarge(wanted, revision);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The store's Expired for an Exact revision, worded as kube-apiserver words it. */
export const exactListError = async (store: StoreClient, wanted: number, e: unknown): Promise<unknown> => {
  if (!isStatusError(e) || e.status.code !== 410) return e;
  const s = await store.status(2000);
  if (wanted > s.revision) return tooLarge(wanted, s.revision);
  return new StatusError({ ...e.status, message: `too old resource version: ${wanted} (${s.oldestRevision - 1})` });
};
