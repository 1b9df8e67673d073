import { createHmac } from "node:crypto";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { functionUrlDelivery, githubPayload, signatureOf } from "../../events/github/fixtures.ts";

/** One generated request, the category it belongs to, and the answer the webhook must give. */
export type AbuseRequest = {
  category: string;
  expected: 400 | 401 | 403 | 413 | 415 | 202;
  /** For a 202: the skip reason the body must name. */
  skipped?: string;
  event: LambdaFunctionURLEvent;
};

export type AbuseOptions = {
  secret: string;
  /** The handler's WEBHOOK_MAX_BODY_BYTES. */
  maxBodyBytes: number;
  /** The one branch the stage config maps; a push to it with `[skip ci]` is the only build-free signed push to it. */
  mappedBranch: string;
  random: () => number;
};

// Branch names git allows that a stage config would not expect: scripts, emoji, RTL marks,
// combining characters, look-alikes of the mapped branch, and glob-looking characters.
const oddBranches = [
  "fix/ünïcödé",
  "機能/デプロイ",
  "🚀/launch",
  "release/\u202Eetavirp",
  "ma\u0301ster",
  "mаster",
  "feature/*",
  "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
  "x".repeat(250),
  "refs/heads/master",
  "MASTER",
  "master.lock2",
  "dev/\u0000nul",
  "ﬁx/ligature",
];

/**
 * Generates `count` bad requests, spread evenly over every category, each a Lambda Function
 * URL event as a real delivery would arrive, derived from GitHub's own push payload.
 */
export function generateAbuse(count: number, options: AbuseOptions): AbuseRequest[] {
  const { secret, random } = options;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) =>
    Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");
  let serial = 0;
  const deliveryId = () => `abuse-${(serial++).toString(16).padStart(8, "0")}`;
  const push = (branch: string) => {
    const payload = githubPayload("push-branch");
    payload.ref = `refs/heads/${branch}`;
    payload.after = hex(40);
    return payload;
  };
  const mapped = () => push(options.mappedBranch);
  const signed = (
    body: string | object,
    extra: Partial<Parameters<typeof functionUrlDelivery>[0]> = {},
  ) => functionUrlDelivery({ event: "push", deliveryId: deliveryId(), body, secret, ...extra });
  const padded = () => {
    // Valid, validly signed JSON just over the limit: the size check must come first.
    const text = JSON.stringify(mapped());
    return `${text}${" ".repeat(options.maxBodyBytes - Buffer.byteLength(text) + 1 + Math.floor(random() * 1024))}`;
  };
  const withHeaders = (
    event: LambdaFunctionURLEvent,
    headers: Record<string, string | undefined>,
  ) => {
    const merged: Record<string, string | undefined> = { ...event.headers, ...headers };
    for (const [name, value] of Object.entries(merged))
      if (value === undefined) delete merged[name];
    return { ...event, headers: merged as Record<string, string> };
  };

  const categories: Array<() => Omit<AbuseRequest, "category"> & { category: string }> = [
    () => ({
      category: "missing signature",
      expected: 401,
      event: functionUrlDelivery({ event: "push", deliveryId: deliveryId(), body: mapped() }),
    }),
    () => ({
      category: "empty signature",
      expected: 401,
      event: signed(mapped(), { signature: "" }),
    }),
    () => {
      const body = JSON.stringify(mapped());
      const full = signatureOf(secret, body);
      return {
        category: "truncated signature",
        expected: 401,
        event: signed(body, { signature: full.slice(0, Math.floor(random() * (full.length - 1))) }),
      };
    },
    () => {
      const body = JSON.stringify(mapped());
      return {
        category: "sha1 signature only",
        expected: 401,
        event: signed(body, {
          signature: `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
        }),
      };
    },
    () => ({
      category: "signature over another body",
      expected: 401,
      event: signed(mapped(), { signature: signatureOf(secret, JSON.stringify(mapped())) }),
    }),
    () => ({
      category: "signed with another secret",
      expected: 401,
      event: signed(mapped(), { secret: `${secret}-rotated-${hex(4)}` }),
    }),
    () => {
      // Signed, then retargeted at a mapped branch on the way: the body no longer matches.
      const body = JSON.stringify(push(pick(oddBranches)));
      const event = signed(body);
      return {
        category: "body changed after signing",
        expected: 401,
        event: { ...event, body: JSON.stringify(mapped()) },
      };
    },
    () => {
      const body = JSON.stringify(mapped());
      const event = signed(body);
      return {
        category: "truncated body",
        expected: 401,
        event: { ...event, body: body.slice(0, 1 + Math.floor(random() * (body.length - 1))) },
      };
    },
    () => ({
      category: "huge signature header",
      expected: 401,
      event: signed(mapped(), { signature: `sha256=${hex(64)}${"f".repeat(64 * 1024)}` }),
    }),
    () => ({
      category: "oversized body",
      expected: 413,
      event: signed(padded()),
    }),
    () => ({
      category: "oversized base64 body",
      expected: 413,
      event: signed(padded(), { base64: true }),
    }),
    () => {
      const text = JSON.stringify(mapped());
      const cut = text.slice(0, Math.floor(random() * (text.length - 2)) + 1);
      const body = pick([cut, `${text},`, `${text}}`, "{'ref': 'master'}", "null null", "\u0000"]);
      return { category: "malformed JSON (signed)", expected: 400, event: signed(body) };
    },
    () => {
      // What GitHub sends when the hook's content type is form-encoded.
      const body = `payload=${encodeURIComponent(JSON.stringify(mapped()))}`;
      return {
        category: "form-encoded body (signed)",
        expected: 415,
        event: withHeaders(signed(body), {
          "content-type": "application/x-www-form-urlencoded",
        }),
      };
    },
    () => ({
      category: "missing or odd delivery headers (signed)",
      expected: 400,
      event: withHeaders(
        signed(mapped()),
        pick([
          { "x-github-event": undefined },
          { "x-github-delivery": undefined },
          { "x-github-event": "PUSH" },
          { "x-github-event": "push; drop table" },
          { "x-github-delivery": "../../etc/passwd" },
          { "x-github-delivery": "ïd-ünicode" },
        ]),
      ),
    }),
    () => ({
      category: "huge header value (signed)",
      expected: 400,
      event: withHeaders(
        signed(mapped()),
        pick([
          { "x-github-event": "p".repeat(8 * 1024 + Math.floor(random() * 56 * 1024)) },
          { "x-github-delivery": "d".repeat(8 * 1024 + Math.floor(random() * 56 * 1024)) },
        ]),
      ),
    }),
    () => {
      const payload = mapped();
      const broken = pick([
        () => [payload],
        () => ({ ...payload, ref: 42 }),
        () => ({ ...payload, after: "not-a-sha" }),
        () => ({ ...payload, repository: null }),
        () => ({}),
        () => "a string",
      ])();
      return { category: "signed JSON that is not a push", expected: 400, event: signed(broken) };
    },
    () => {
      // An organisation hook or a reused secret: another repository's push, validly signed,
      // to the mapped branch.
      const payload = mapped();
      const owner = pick(["octocat", "attacker", "Codertocat-evil", "codertocat2"]);
      payload.repository = {
        ...payload.repository,
        id: 200_000_000 + Math.floor(random() * 1e9),
        name: pick(["Hello-World", "chat", "Hello-World-2"]),
        full_name: `${owner}/${pick(["Hello-World", "chat", "Hello-World-2"])}`,
      };
      return {
        category: "another repository's push (signed)",
        expected: 403,
        event: signed(payload),
      };
    },
    () => {
      // A fork's push: GitHub serves a fork's commits through the parent, so its SHA could build.
      const payload = mapped();
      payload.repository = {
        ...payload.repository,
        id: 200_000_000 + Math.floor(random() * 1e9),
        full_name: `fork-owner-${hex(4)}/Hello-World`,
        fork: true,
      };
      return { category: "a fork's commit (signed)", expected: 403, event: signed(payload) };
    },
    () => {
      // The repository deleted and re-created under the same name: same name, another id.
      const payload = mapped();
      payload.repository = { ...payload.repository, id: 200_000_000 + Math.floor(random() * 1e9) };
      return {
        category: "same name, another repository id (signed)",
        expected: 403,
        event: signed(payload),
      };
    },
    () => ({
      category: "unicode or odd branch (signed, unmapped)",
      expected: 202,
      skipped: "unmapped-branch",
      event: signed(push(pick(oddBranches))),
    }),
    () => {
      const payload = mapped();
      payload.ref = `refs/tags/v${Math.floor(random() * 100)}.0.0`;
      return {
        category: "tag push (signed)",
        expected: 202,
        skipped: "tag",
        event: signed(payload),
      };
    },
    () => {
      const payload = mapped();
      payload.deleted = true;
      payload.after = "0".repeat(40);
      return {
        category: "branch deleted (signed)",
        expected: 202,
        skipped: "branch-deleted",
        event: signed(payload),
      };
    },
    () => {
      const payload = mapped();
      payload.head_commit.message = `${pick(["[skip ci]", "[ci skip]", "[SKIP CI]"])} ${hex(6)}`;
      return {
        category: "skip-ci push to the mapped branch (signed)",
        expected: 202,
        skipped: "skip-ci",
        event: signed(payload),
      };
    },
    () => ({
      category: "not a push event (signed)",
      expected: 202,
      skipped: "not-a-push",
      event: functionUrlDelivery({
        event: pick(["issues", "pull_request", "workflow_run", "star"]),
        deliveryId: deliveryId(),
        body: githubPayload("issues-opened"),
        secret,
      }),
    }),
  ];

  return Array.from({ length: count }, (_, i) => {
    const make = categories[i % categories.length];
    if (make === undefined) throw new Error("no category");
    return make();
  });
}
