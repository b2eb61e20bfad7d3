/**
 * Renders docs/subjects.md from the catalogue: each subject's pattern, who
 * publishes and subscribes, and its payload as JSON Schema (Effect's
 * JSONSchema of the very schema the bus decodes with). A test compares the
 * file with this output, so the document cannot drift from the code.
 */
import * as JSONSchema from "effect/JSONSchema";
import type * as Schema from "effect/Schema";
import { catalogue } from "./catalogue.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any catalogue schema renders the same way
const schemaBlock = (schema: Schema.Schema<any, any>) => {
  const json = JSONSchema.make(schema) as unknown as Record<string, unknown>;
  delete json.$schema;
  return "```json\n" + JSON.stringify(json, null, 2) + "\n```";
};

/** The same example as a five-line Node script (`@nats-io/transport-node`). */
const nodeScript = (example: string): string | undefined => {
  const m = /^nats (request|pub|sub) '?([^' ]+)'?(?: '(.*)')?$/.exec(example.trim());
  if (!m) return undefined;
  const [, verb, subject, payload] = m;
  const lines = ['import { connect } from "@nats-io/transport-node";', 'const nc = await connect({ servers: "nats://127.0.0.1:4222" });'];
  if (verb === "request") {
    lines.push(`const reply = await nc.request("${subject}", JSON.stringify(${payload}), { timeout: 3000 });`, "console.log(reply.json());", "await nc.close();");
  } else if (verb === "pub") {
    lines.push(`nc.publish("${subject}", JSON.stringify(${payload}));`, "await nc.flush();", "await nc.close();");
  } else {
    lines.push(`const sub = nc.subscribe("${subject}");`, "for await (const m of sub) console.log(m.subject, m.json());");
  }
  return lines.join("\n");
};

export const renderSubjectsDoc = (): string => {
  const parts: string[] = [
    "# Subject catalogue",
    "",
    "<!-- Generated from libs/bus/src/catalogue.ts by `npm run docs:subjects`; do not edit by hand. -->",
    "",
    "Every message on the bus is JSON and is decoded with the schema below at the",
    "subscription boundary; a message that does not decode is logged and counted,",
    "and a request that does not decode is answered with a 400 `Status`.",
    "",
    "Tokens built from Kubernetes names are encoded so a name never splits a subject:",
    "every character outside `[A-Za-z0-9-]` becomes `~xx` (hex of its UTF-8 bytes) and",
    "the empty string becomes `_` — the core API group is `_`, a cluster-scoped",
    "object's namespace is `_`, and `my.config` is `my~2econfig`.",
    "",
    "Requests are answered with `{\"ok\": true, \"value\": <response>}` or",
    "`{\"ok\": false, \"status\": <Kubernetes Status>}`.",
    "",
    "| subject | kind | publishers | subscribers |",
    "| --- | --- | --- | --- |",
    ...Object.values(catalogue).map((d) => `| \`${d.pattern}\` | ${d.kind} | ${d.publishers.join(", ")} | ${d.subscribers.join(", ")} |`),
    "",
  ];
  for (const def of Object.values(catalogue)) {
    parts.push(`## \`${def.pattern}\``, "", def.description, "");
    if (def.example) {
      parts.push("Try it with the `nats` CLI:", "", "```sh", def.example, "```", "");
      const script = nodeScript(def.example);
      if (script) parts.push("Or from Node (`npm i @nats-io/transport-node`, save as `try.mjs`, `node try.mjs`):", "", "```js", script, "```", "");
    }
    if (def.kind === "request") {
      parts.push("Request:", "", schemaBlock(def.request), "", "Response value:", "", schemaBlock(def.response), "");
    } else {
      parts.push("Payload:", "", schemaBlock(def.schema), "");
    }
  }
  return parts.join("\n");
};
