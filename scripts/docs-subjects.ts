/** Writes docs/subjects.md from the subject catalogue (`npm run docs:subjects`). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSubjectsDoc } from "@kubeactor/bus";

const path = join(import.meta.dirname, "..", "docs", "subjects.md");
writeFileSync(path, renderSubjectsDoc());
console.log(`wrote ${path}`);
