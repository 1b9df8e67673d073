import type https from "node:https";
import { describe, expect, it } from "vitest";
import { bearerKubeConfig } from "./bearer-kubeconfig.ts";

describe("bearerKubeConfig", () => {
  it("asks for the token on every request, so a rotated token is used at once", async () => {
    let n = 0;
    const config = bearerKubeConfig({
      server: "https://127.0.0.1:6443",
      certificateAuthorityData: Buffer.from("not a real CA").toString("base64"),
      token: async () => `token-${++n}`,
      namespace: "chat",
    });
    const first: https.RequestOptions = {};
    const second: https.RequestOptions = {};

    await config.applyToHTTPSOptions(first);
    await config.applyToHTTPSOptions(second);

    expect((first.headers as Record<string, string>).Authorization).toBe("Bearer token-1");
    expect((second.headers as Record<string, string>).Authorization).toBe("Bearer token-2");
    expect(config.getContextObject("slipway")?.namespace).toBe("chat");
    expect(config.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  });
});
