import { mkdtempSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStaticAssets } from "./static-assets.ts";

/** Records what the asset server answers, without a socket. */
function exchange(method: string, headers: Record<string, string> = {}) {
  const answer = { status: 0, headers: {} as Record<string, unknown>, body: undefined as unknown };
  const request = { method, headers } as unknown as IncomingMessage;
  const response = {
    writeHead(status: number, head: Record<string, unknown>) {
      answer.status = status;
      answer.headers = head;
      return this;
    },
    end(body?: unknown) {
      answer.body = body;
    },
  } as unknown as ServerResponse;
  return { request, response, answer };
}

describe("static assets", () => {
  const directory = mkdtempSync(join(tmpdir(), "slipway-assets-"));
  writeFileSync(join(directory, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(directory, "app.js"), "export {};");
  writeFileSync(join(directory, "notes.txt"), "not an asset type");
  const assets = loadStaticAssets(directory);

  it("serves index.html for the root with its type and an ETag", () => {
    // Prepare
    const { request, response, answer } = exchange("GET");
    // Act
    const served = assets.serve("/", request, response);
    // Assess
    expect(served).toBe(true);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(answer.headers["cache-control"]).toBe("no-cache");
    expect(String(answer.body)).toContain("<title>t</title>");
  });

  it("answers 304 when the browser already has this version", () => {
    const first = exchange("GET");
    assets.serve("/app.js", first.request, first.response);
    const etag = String(first.answer.headers.etag);
    const again = exchange("GET", { "if-none-match": etag });
    assets.serve("/app.js", again.request, again.response);
    expect(again.answer.status).toBe(304);
    expect(again.answer.body).toBeUndefined();
  });

  it("serves nothing outside the known files, whatever the path says", () => {
    for (const path of ["/notes.txt", "/../package.json", "/%2e%2e/etc/passwd", "/missing.js"]) {
      const { request, response } = exchange("GET");
      expect(assets.serve(path, request, response)).toBe(false);
    }
  });
});
