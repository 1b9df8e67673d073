import { describe, expect, it } from "vitest";
import { createLogger, type LogEntry } from "./logger.ts";

describe("logger", () => {
  it("writes one JSON object per event and redacts credential fields", () => {
    const entries: LogEntry[] = [];
    const logger = createLogger({ sink: (entry) => entries.push(entry) }).child({ replica: "a" });

    logger.info("login", {
      username: "alice",
      password: "hunter2",
      token: "eyJ",
      authorization: "B",
    });

    expect(entries).toEqual([
      expect.objectContaining({
        level: "info",
        event: "login",
        replica: "a",
        username: "alice",
        password: "[redacted]",
        token: "[redacted]",
        authorization: "[redacted]",
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain("hunter2");
  });

  it("drops entries below the configured level", () => {
    const entries: LogEntry[] = [];
    const logger = createLogger({ level: "warn", sink: (entry) => entries.push(entry) });

    logger.info("quiet");
    logger.warn("loud");

    expect(entries.map((e) => e.event)).toEqual(["loud"]);
  });
});
