import { PatchError } from "./util.ts";

/** The PatchError `f` throws; fails the test when it throws nothing or something else. */
export function patchError(f: () => unknown): PatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error("expected a PatchError");
}
