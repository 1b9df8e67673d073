import { randomBytes, verify as verifySignature } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import addFormats from "ajv-formats";
import { type Request as ApiRequest, type Document, OpenAPIBackend } from "openapi-backend";
import { githubOpenApi } from "./github-openapi.ts";

/** One request the stand-in received, after validation, for tests to assert on. */
export type RecordedCall = {
  operationId: string;
  params: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  status: number;
};

export type GitHubStandInOptions = {
  /** Tokens accepted as `Authorization: token …` or `bearer …`. */
  tokens?: readonly string[];
  /** A GitHub App whose JWTs (RS256, iss = appId) may mint installation tokens. */
  app?: { appId: number; publicKeyPem: string };
};

export type GitHubStandIn = {
  /** A WHATWG fetch served in-process: pass it as Octokit's `request.fetch` in unit tests. */
  fetch: typeof fetch;
  /** Serves the same stand-in over HTTP on 127.0.0.1 (port 0) for integration tests. */
  listen(): Promise<{ baseUrl: string; close(): Promise<void> }>;
  /** Every operation called, in order (outages included, with their status). */
  calls: RecordedCall[];
  /** Requests or responses that broke GitHub's OpenAPI description; a test expects none. */
  violations: string[];
  /** While set, every request is answered with this status, as during a GitHub outage. */
  outage: number | undefined;
  /** The calls of one operation, e.g. `repos/create-deployment`. */
  callsOf(operationId: string): RecordedCall[];
};

type Reply = { status: number; body: unknown };
type HandlerRequest = {
  operationId: string;
  params: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: validated against the operation's schema before a handler runs
  body: any;
  headers: Record<string, string>;
};

let compiled: Promise<OpenAPIBackend> | undefined;

/** GitHub's contract, compiled once per test worker: validators are stateless and slow to build. */
function contract(): Promise<OpenAPIBackend> {
  compiled ??= (async () => {
    const api = new OpenAPIBackend({
      definition: githubOpenApi() as unknown as Document,
      strict: true,
      validate: true,
      // Skips re-validating GitHub's own description and compiles validators on first use.
      quick: true,
      customizeAjv: (ajv) => {
        addFormats.default(ajv);
        return ajv;
      },
    });
    await api.init();
    return api;
  })();
  return compiled;
}

const notFound = { message: "Not Found", documentation_url: "https://docs.github.com/rest" };

/**
 * A local GitHub that validates every request Slipway sends, and every response it returns,
 * against GitHub's published OpenAPI description, so a wrong field name or a missing required
 * field fails the test rather than being copied into a hand-written mock. It keeps just enough
 * state (deployments, installation tokens) to answer like GitHub does.
 */
export async function createGitHubStandIn(
  options: GitHubStandInOptions = {},
): Promise<GitHubStandIn> {
  const api = await contract();

  const tokens = new Set(options.tokens ?? []);
  const deployments = new Map<number, { owner: string; repo: string; environment: string }>();
  let nextId = 1;
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

  const mock = (operationId: string, code: number) =>
    structuredClone(api.mockResponseForOperation(operationId, { code }).mock);

  const handlers: Record<string, (req: HandlerRequest) => Reply> = {
    "apps/create-installation-access-token": (req) => {
      if (!validAppJwt(req.headers.authorization, options.app)) {
        return {
          status: 401,
          body: {
            message: "A JSON web token could not be decoded",
            documentation_url: notFound.documentation_url,
          },
        };
      }
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      tokens.add(token);
      const body = mock("apps/create-installation-access-token", 201);
      Object.assign(body, {
        token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        permissions: { deployments: "write", statuses: "write" },
      });
      return { status: 201, body };
    },
    "repos/create-deployment": (req) => {
      const id = nextId++;
      const { owner, repo } = req.params as { owner: string; repo: string };
      const environment = req.body.environment ?? "production";
      deployments.set(id, { owner, repo, environment });
      const body = mock("repos/create-deployment", 201);
      const url = `https://api.github.com/repos/${owner}/${repo}/deployments/${id}`;
      Object.assign(body, {
        id,
        url,
        statuses_url: `${url}/statuses`,
        repository_url: `https://api.github.com/repos/${owner}/${repo}`,
        sha: req.body.ref,
        ref: req.body.ref,
        task: req.body.task ?? "deploy",
        payload: req.body.payload ?? {},
        environment,
        description: req.body.description ?? null,
        production_environment: req.body.production_environment ?? environment === "production",
        transient_environment: req.body.transient_environment ?? false,
        created_at: now(),
        updated_at: now(),
      });
      return { status: 201, body };
    },
    "repos/create-deployment-status": (req) => {
      const id = Number(req.params.deployment_id);
      const deployment = deployments.get(id);
      if (
        deployment === undefined ||
        deployment.owner !== req.params.owner ||
        deployment.repo !== req.params.repo
      ) {
        return { status: 404, body: notFound };
      }
      const body = mock("repos/create-deployment-status", 201);
      const url = `https://api.github.com/repos/${deployment.owner}/${deployment.repo}/deployments/${id}`;
      Object.assign(body, {
        id: nextId++,
        url: `${url}/statuses/${nextId}`,
        deployment_url: url,
        repository_url: `https://api.github.com/repos/${deployment.owner}/${deployment.repo}`,
        state: req.body.state,
        description: req.body.description ?? "",
        environment: req.body.environment ?? deployment.environment,
        // Required, format uri: GitHub's own "" default would break its description.
        target_url: req.body.target_url ?? req.body.log_url ?? body.target_url,
        created_at: now(),
        updated_at: now(),
      });
      for (const optional of ["log_url", "environment_url"] as const) {
        if (req.body[optional] === undefined) delete body[optional];
        else body[optional] = req.body[optional];
      }
      return { status: 201, body };
    },
    "repos/create-commit-status": (req) => {
      const body = mock("repos/create-commit-status", 201);
      Object.assign(body, {
        id: nextId++,
        state: req.body.state,
        description: req.body.description ?? null,
        target_url: req.body.target_url ?? null,
        context: req.body.context ?? "default",
        created_at: now(),
        updated_at: now(),
      });
      return { status: 201, body };
    },
  };

  const standIn: GitHubStandIn = {
    calls: [],
    violations: [],
    outage: undefined,
    callsOf: (operationId) => standIn.calls.filter((c) => c.operationId === operationId),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const text = await request.text();
      const reply = serve({
        method: request.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: Object.fromEntries(request.headers),
        body: text,
      });
      return new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
    listen: async () => {
      const server = createServer(async (req, res) => {
        const reply = serve({
          method: req.method ?? "GET",
          path: (req.url ?? "/").split("?")[0] ?? "/",
          query: (req.url ?? "").split("?")[1] ?? "",
          headers: flatHeaders(req),
          body: await readBody(req),
        });
        res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(reply.body));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      return {
        baseUrl: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve, reject) => {
            server.closeAllConnections();
            server.close((error) => (error ? reject(error) : resolve()));
          }),
      };
    },
  };

  function serve(raw: {
    method: string;
    path: string;
    query: string;
    headers: Record<string, string>;
    body: string;
  }): Reply {
    let body: unknown;
    try {
      body = raw.body === "" ? undefined : JSON.parse(raw.body);
    } catch {
      standIn.violations.push(`${raw.method} ${raw.path}: the body is not JSON`);
      return { status: 400, body: { message: "Problems parsing JSON" } };
    }
    const request: ApiRequest = {
      method: raw.method,
      path: raw.path,
      query: raw.query,
      headers: raw.headers,
      body,
    };
    const operation = api.matchOperation(request);
    if (operation === undefined || typeof operation.operationId !== "string") {
      standIn.violations.push(
        `${raw.method} ${raw.path}: no such operation in GitHub's description`,
      );
      return { status: 404, body: notFound };
    }
    const operationId = operation.operationId;
    const parsed = api.router.parseRequest(request, operation);
    const record = (status: number) =>
      standIn.calls.push({
        operationId,
        params: parsed.params as Record<string, string>,
        body,
        headers: raw.headers,
        status,
      });
    if (standIn.outage !== undefined) {
      record(standIn.outage);
      return { status: standIn.outage, body: { message: "Service Unavailable" } };
    }
    const validation = api.validateRequest(request, operation);
    if (!validation.valid) {
      const errors = (validation.errors ?? [])
        .map((e) => `${e.instancePath} ${e.message}`)
        .join("; ");
      standIn.violations.push(`${operationId} request: ${errors}`);
      record(422);
      return { status: 422, body: { message: "Validation Failed", errors: validation.errors } };
    }
    const auth = raw.headers.authorization ?? "";
    if (
      operationId !== "apps/create-installation-access-token" &&
      !tokens.has(auth.replace(/^(token|bearer) /i, ""))
    ) {
      record(401);
      return {
        status: 401,
        body: { message: "Bad credentials", documentation_url: notFound.documentation_url },
      };
    }
    if (!/^(octokit|slipway)/i.test(raw.headers["user-agent"] ?? "")) {
      standIn.violations.push(`${operationId}: GitHub requires a User-Agent header`);
    }
    const handler = handlers[operationId];
    if (handler === undefined) {
      standIn.violations.push(`${operationId}: not served by the stand-in`);
      return { status: 501, body: { message: "Not Implemented" } };
    }
    const reply = handler({
      operationId,
      params: parsed.params as Record<string, string>,
      body,
      headers: raw.headers,
    });
    const documented = Object.keys(operation.responses ?? {}).includes(String(reply.status));
    if (documented) {
      const check = api.validateResponse(reply.body, operation, reply.status);
      if (!check.valid) {
        const errors = (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("; ");
        standIn.violations.push(`${operationId} response ${reply.status}: ${errors}`);
      }
    }
    record(reply.status);
    return reply;
  }

  return standIn;
}

/** Checks an App JWT the way GitHub does: RS256 over header.payload, iss = app id, not expired. */
function validAppJwt(authorization: string | undefined, app: GitHubStandInOptions["app"]): boolean {
  if (app === undefined || authorization === undefined) return false;
  const match = /^bearer (.+)\.(.+)\.(.+)$/i.exec(authorization);
  if (match === null) return false;
  const [, header, payload, signature] = match as unknown as [string, string, string, string];
  const signed = verifySignature(
    "RSA-SHA256",
    Buffer.from(`${header}.${payload}`),
    app.publicKeyPem,
    Buffer.from(signature, "base64url"),
  );
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
    iss?: unknown;
    exp?: number;
  };
  return (
    signed && String(claims.iss) === String(app.appId) && (claims.exp ?? 0) * 1000 > Date.now()
  );
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(", ") : (value ?? ""),
    ]),
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
