import { createHash } from "node:crypto";
import { PushEvent } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { githubPayload, signatureOf } from "../../../test/events/github/fixtures.ts";
import { readWebhookDelivery, type WebhookRequest } from "./read-webhook-delivery.ts";

const secret = "It's a Secret to Everybody";
const options = { secret, maxBodyBytes: 64 * 1024 };
const deliveryId = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const badSignature = expect.objectContaining({ kind: "refused", reason: "bad-signature" });
const tooLarge = expect.objectContaining({ kind: "refused", reason: "too-large" });
const malformedRequest = expect.objectContaining({
  kind: "refused",
  reason: "malformed",
  part: "request",
});

function signedRequest(body: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    headers: {
      "x-github-event": "push",
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": signatureOf(secret, body),
    },
    body,
    isBase64Encoded: false,
    ...overrides,
  };
}

describe("readWebhookDelivery", () => {
  it("returns the delivery id, event and parsed payload of a correctly signed push", async () => {
    const body = JSON.stringify(githubPayload("push-branch"));

    const delivery = await readWebhookDelivery(signedRequest(body), options);

    expect(delivery).toEqual({
      kind: "push",
      id: deliveryId,
      push: PushEvent.parse(JSON.parse(body)),
      bodyDigest: createHash("sha256").update(body).digest("hex"),
    });
  });

  it("verifies against GitHub's documented test vector", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const request = signedRequest("Hello, World!", {
      headers: {
        "x-github-event": "ping",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256":
          "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
      },
    });

    // The signature holds, so the refusal is about the body not being JSON.
    await expect(readWebhookDelivery(request, options)).resolves.toEqual(malformedRequest);
  });

  it("decodes a base64 body before verifying it", async () => {
    const body = JSON.stringify(githubPayload("push-branch"));
    const request = signedRequest(body, {
      body: Buffer.from(body).toString("base64"),
      isBase64Encoded: true,
    });

    const delivery = await readWebhookDelivery(request, options);

    expect(delivery).toEqual({
      kind: "push",
      id: deliveryId,
      push: PushEvent.parse(JSON.parse(body)),
      bodyDigest: createHash("sha256").update(body).digest("hex"),
    });
  });

  it("rejects a body whose signature was made for it before one byte was flipped", async () => {
    const body = Buffer.from(JSON.stringify(githubPayload("push-branch")));
    const signature = signatureOf(secret, body);
    const flipped = Buffer.from(body);
    flipped[100] = (flipped[100] ?? 0) ^ 0x01;

    const request = signedRequest("", {
      headers: { ...signedRequest("").headers, "x-hub-signature-256": signature },
      body: flipped.toString("base64"),
      isBase64Encoded: true,
    });

    await expect(readWebhookDelivery(request, options)).resolves.toEqual(badSignature);
  });

  it.each([
    ["no signature header", undefined],
    ["an empty signature", ""],
    ["a signature made with another secret", signatureOf("not the secret", "{}")],
    ["a SHA-1 signature", "sha1=0123456789abcdef0123456789abcdef01234567"],
  ])("rejects a request with %s", async (_, signature) => {
    const body = JSON.stringify(githubPayload("push-branch"));
    const headers = { ...signedRequest(body).headers, "x-hub-signature-256": signature };

    await expect(
      readWebhookDelivery({ headers, body, isBase64Encoded: false }, options),
    ).resolves.toEqual(badSignature);
  });

  it("rejects a signed empty body as unverifiable", async () => {
    await expect(readWebhookDelivery(signedRequest(""), options)).resolves.toEqual(badSignature);
  });

  it("refuses a body over the limit before looking at its signature", async () => {
    const body = "x".repeat(options.maxBodyBytes + 1);
    const request = { headers: {}, body, isBase64Encoded: false };

    await expect(readWebhookDelivery(request, options)).resolves.toEqual(tooLarge);
  });

  it("refuses an oversized base64 body by its encoded length", async () => {
    const body = Buffer.alloc(options.maxBodyBytes + 3).toString("base64");

    await expect(
      readWebhookDelivery({ headers: {}, body, isBase64Encoded: true }, options),
    ).resolves.toEqual(tooLarge);
  });

  it("counts bytes, not characters, against the limit", async () => {
    const body = "é".repeat(options.maxBodyBytes / 2 + 1);

    await expect(readWebhookDelivery(signedRequest(body), options)).resolves.toEqual(tooLarge);
  });

  it("rejects signed text that is not JSON as malformed", async () => {
    await expect(readWebhookDelivery(signedRequest("payload=%7B%7D"), options)).resolves.toEqual(
      malformedRequest,
    );
  });

  it("rejects a signed delivery without an X-GitHub-Delivery header as malformed", async () => {
    const request = signedRequest("{}");
    const headers = { ...request.headers, "x-github-delivery": undefined };

    await expect(readWebhookDelivery({ ...request, headers }, options)).resolves.toEqual(
      malformedRequest,
    );
  });

  it("reads headers whatever their case", async () => {
    const body = "{}";
    const request = {
      headers: {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": deliveryId,
        "X-Hub-Signature-256": signatureOf(secret, body),
      },
      body,
      isBase64Encoded: false,
    };

    await expect(readWebhookDelivery(request, options)).resolves.toEqual({
      kind: "ping",
      id: deliveryId,
    });
  });

  it("reads an event that is not a push without looking at its payload", async () => {
    const request = signedRequest(JSON.stringify(githubPayload("issues-opened")), {});
    const headers = { ...request.headers, "x-github-event": "issues" };

    await expect(readWebhookDelivery({ ...request, headers }, options)).resolves.toEqual({
      kind: "other",
      id: deliveryId,
      event: "issues",
    });
  });

  it("refuses a push payload without a ref, naming the field but not its values", async () => {
    const payload = githubPayload("push-branch");
    delete payload.ref;
    payload.head_commit.message = "secret-looking text";
    payload.after = "not-a-sha";

    const read = await readWebhookDelivery(signedRequest(JSON.stringify(payload)), options);

    expect(read).toMatchObject({ kind: "refused", reason: "malformed", part: "payload" });
    const detail = read.kind === "refused" ? read.detail : "";
    expect(detail).toMatch(/ref/);
    expect(detail).toMatch(/after/);
    expect(detail).not.toMatch(/not-a-sha|secret-looking/);
  });

  it("refuses something that is not a Function URL request as malformed", async () => {
    await expect(readWebhookDelivery({ headers: 42 }, options)).resolves.toMatchObject({
      kind: "refused",
      reason: "malformed",
      part: "request",
    });
  });
});

describe("readWebhookDelivery with a secret per repository", () => {
  const greeterSecret = "the greeter repository's own secret";
  const greeterId = 4242;
  const perRepository = {
    ...options,
    repositorySecrets: new Map([[greeterId, greeterSecret]]),
  };
  /** A push of the greeter's repository, signed with `key`. */
  const greeterPush = (key: string) => {
    const payload = githubPayload("push-branch");
    payload.repository.id = greeterId;
    payload.repository.full_name = "acme/greeter";
    const body = JSON.stringify(payload);
    return signedRequest(body, {
      headers: {
        "x-github-event": "push",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": signatureOf(key, body),
      },
    });
  };

  it("reads a push signed with its own repository's secret", async () => {
    const delivery = await readWebhookDelivery(greeterPush(greeterSecret), perRepository);

    expect(delivery).toMatchObject({ kind: "push", push: { repository: { id: greeterId } } });
  });

  it("refuses a push of a repository with its own secret that is signed with the shared one", async () => {
    const delivery = await readWebhookDelivery(greeterPush(secret), perRepository);

    expect(delivery).toMatchObject({ kind: "refused", reason: "foreign-repository" });
  });

  it("refuses a push of another repository signed with the greeter's secret", async () => {
    const body = JSON.stringify(githubPayload("push-branch"));
    const request = signedRequest(body, {
      headers: {
        "x-github-event": "push",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": signatureOf(greeterSecret, body),
      },
    });

    await expect(readWebhookDelivery(request, perRepository)).resolves.toMatchObject({
      kind: "refused",
      reason: "foreign-repository",
      detail: expect.stringContaining("another repository's secret"),
    });
  });

  it("still reads a push of a repository without a secret of its own, signed with the shared one", async () => {
    const body = JSON.stringify(githubPayload("push-branch"));

    await expect(readWebhookDelivery(signedRequest(body), perRepository)).resolves.toMatchObject({
      kind: "push",
    });
  });

  it("refuses a body no secret signed, shared or per repository", async () => {
    await expect(
      readWebhookDelivery(greeterPush("nobody's secret at all"), perRepository),
    ).resolves.toEqual(badSignature);
  });
});
