import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type StandIn = { url: string; close(): Promise<void> };

async function listen(server: Server): Promise<StandIn> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** GitHub's REST API, canned: the figure is Slipway's, not a stand-in's schema checks. */
export async function startCannedGitHub(): Promise<StandIn> {
  return listen(
    createServer(async (req, res) => {
      await text(req);
      const id = /\/deployments$/.test(req.url ?? "") ? 4242 : 1;
      res
        .writeHead(201, { "content-type": "application/json; charset=utf-8" })
        .end(JSON.stringify({ id, state: "pending" }));
    }),
  );
}
