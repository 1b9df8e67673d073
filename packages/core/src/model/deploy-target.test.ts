import { describe, expect, it } from "vitest";
import { parseWorkloadList } from "./deploy-target.ts";

describe("parseWorkloadList", () => {
  it("reads Deployment:container pairs in the namespace", () => {
    expect(parseWorkloadList("chat-server:server, chat-web:web", "chat")).toEqual([
      { namespace: "chat", name: "chat-server", container: "server" },
      { namespace: "chat", name: "chat-web", container: "web" },
    ]);
  });

  it("refuses a Deployment without its container, saying the expected form", () => {
    expect(() => parseWorkloadList("chat-server", "chat")).toThrow(/<deployment>:<container>/);
  });
});
