import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The operations Slipway calls, by path and method, as GitHub's OpenAPI description names them. */
export const usedOperations = {
  "/repos/{owner}/{repo}/deployments": ["post"],
  "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses": ["post"],
  "/repos/{owner}/{repo}/statuses/{sha}": ["post"],
  "/app/installations/{installation_id}/access_tokens": ["post"],
} as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

let cached: JsonObject | undefined;

/**
 * GitHub's published REST description (@octokit/openapi, api.github.com), cut down to the
 * operations Slipway uses plus every component they reference, so validators compile in
 * milliseconds instead of parsing 13 MB for each test file.
 */
export function githubOpenApi(): JsonObject {
  if (cached !== undefined) return structuredClone(cached);
  const require = createRequire(import.meta.url);
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
  const full = JSON.parse(readFileSync(file, "utf8")) as JsonObject;
  const paths: JsonObject = {};
  for (const [path, methods] of Object.entries(usedOperations)) {
    const item = (full.paths as JsonObject)[path] as JsonObject;
    paths[path] = Object.fromEntries(methods.map((method) => [method, item[method] ?? null]));
  }
  const components: Record<string, JsonObject> = {};
  const pending: Json[] = [paths];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      pending.push(...node);
      continue;
    }
    const ref = node.$ref;
    if (typeof ref === "string" && ref.startsWith("#/components/")) {
      const [, , kind, name] = ref.split("/");
      if (kind === undefined || name === undefined) continue;
      components[kind] ??= {};
      const section = components[kind];
      if (section[name] === undefined) {
        const target = ((full.components as JsonObject)[kind] as JsonObject)[name] ?? null;
        section[name] = target;
        pending.push(target);
      }
    }
    pending.push(...Object.values(node));
  }
  cached = {
    openapi: full.openapi ?? "3.0.3",
    info: full.info ?? null,
    servers: [{ url: "/" }],
    paths,
    components,
  };
  return structuredClone(cached);
}
