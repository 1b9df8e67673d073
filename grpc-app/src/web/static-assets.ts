import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";

type Asset = { readonly body: Buffer; readonly type: string; readonly etag: string };

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The page's files, read once at start: a fixed set, so no request path reaches the disk. */
export type StaticAssets = {
  /** Answers `path` if it names an asset ("/" is index.html); false when it does not. */
  serve(path: string, request: IncomingMessage, response: ServerResponse): boolean;
};

export function loadStaticAssets(directory: string): StaticAssets {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(directory)) {
    const type = contentTypes[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(directory, name));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(`/${name}`, { body, type, etag });
  }
  return {
    serve(path, request, response) {
      const asset = assets.get(path === "/" ? "/index.html" : path);
      if (asset === undefined) return false;
      // no-cache still lets the browser keep a copy, but it revalidates with the ETag, so a
      // new deploy's page is picked up at the next load.
      const headers = { etag: asset.etag, "cache-control": "no-cache", "content-type": asset.type };
      if (request.headers["if-none-match"] === asset.etag) {
        response.writeHead(304, headers).end();
        return true;
      }
      response.writeHead(200, { ...headers, "content-length": asset.body.length });
      response.end(request.method === "HEAD" ? undefined : asset.body);
      return true;
    },
  };
}
