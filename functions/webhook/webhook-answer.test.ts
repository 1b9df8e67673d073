import { describe, expect, it } from "vitest";
import { webhookAnswer } from "./webhook-answer.ts";

const accepted = (service: string, sequence: number) => ({
  kind: "accepted" as const,
  stage: "production",
  service,
  sequence,
  buildId: `slipway-production-${service}:b-${sequence}`,
  logUrl: "https://builds.example.test/1",
  githubReport: "reported" as const,
  superseded: [],
});
const body = (answer: ReturnType<typeof webhookAnswer>) =>
  JSON.parse(String((answer.response as { body?: string }).body));

describe("webhookAnswer for a monorepo push that builds several services", () => {
  it("answers 202 with each service's build, named by service", () => {
    const answer = webhookAnswer({
      kind: "services",
      outcomes: [
        { service: "chat", outcome: accepted("chat", 4) },
        { service: "greeter", outcome: { kind: "duplicate", buildId: "g:1" } },
      ],
    });

    expect(answer.statusCode).toBe(202);
    expect(body(answer)).toEqual({
      services: {
        chat: expect.objectContaining({ service: "chat", sequence: 4 }),
        greeter: { duplicate: true, buildId: "g:1" },
      },
    });
  });

  it("answers with the refusal when every service refused, and 202 naming it when only some did", () => {
    const stale = { kind: "refused" as const, reason: "stale" as const, detail: "older" };

    const all = webhookAnswer({
      kind: "services",
      outcomes: [
        { service: "chat", outcome: stale },
        { service: "greeter", outcome: stale },
      ],
    });
    const some = webhookAnswer({
      kind: "services",
      outcomes: [
        { service: "chat", outcome: stale },
        { service: "greeter", outcome: accepted("greeter", 2) },
      ],
    });

    expect(all.statusCode).toBe(409);
    expect(some.statusCode).toBe(202);
    expect(body(some).services.chat).toEqual({ refused: "stale", message: "older" });
  });
});
