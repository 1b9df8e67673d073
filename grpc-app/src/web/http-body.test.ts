import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readJsonBody } from "./http-body.ts";

const Body = z.object({ text: z.string().min(1) });

function request(body: string | Buffer[], headers: Record<string, string>): IncomingMessage {
  const stream = Readable.from(typeof body === "string" ? [Buffer.from(body)] : body);
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

const json = { "content-type": "application/json" };

describe("reading a JSON body", () => {
  it("parses a body that fits the schema", async () => {
    const body = await readJsonBody(request('{"text":"hi"}', json), Body);
    expect(body).toEqual({ text: "hi" });
  });

  it("refuses a body that is not declared as JSON", async () => {
    await expect(readJsonBody(request("text=hi", {}), Body)).rejects.toMatchObject({ status: 415 });
  });

  it("refuses a declared length over the limit before reading", async () => {
    const headers = { ...json, "content-length": "100" };
    await expect(readJsonBody(request("{}", headers), Body, 10)).rejects.toMatchObject({
      status: 413,
    });
  });

  it("stops reading a chunked body once it passes the limit", async () => {
    // Prepare: no content-length, as with chunked transfer encoding
    const chunks = Array.from({ length: 5 }, () => Buffer.alloc(8, 0x20));
    // Act and Assess
    await expect(readJsonBody(request(chunks, json), Body, 20)).rejects.toMatchObject({
      status: 413,
    });
  });

  it("names the field that fails the schema", async () => {
    await expect(readJsonBody(request('{"text":""}', json), Body)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^text: /),
    });
  });

  it("refuses malformed JSON", async () => {
    await expect(readJsonBody(request("{", json), Body)).rejects.toMatchObject({ status: 400 });
  });
});
