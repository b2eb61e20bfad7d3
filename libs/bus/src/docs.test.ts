import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { renderSubjectsDoc } from "./docs.ts";

it("docs/subjects.md is what the catalogue renders (run `npm run docs:subjects`)", () => {
  const onDisk = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "subjects.md"), "utf8");
  expect(onDisk).toBe(renderSubjectsDoc());
});
