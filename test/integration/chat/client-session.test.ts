import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatClient, passwordSession } from "../../../grpc-app/src/client/chat-client.ts";
import { createMemoryStore } from "../../../grpc-app/src/store/memory-store.ts";
import { logout, startTestServer, type TestServer } from "./chat-fixture.ts";

// The CLI's token source against the real server, with access tokens of 20 s: inside the
// client's 30 s margin, so every token() call renews.
describe("the client's password session", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(createMemoryStore(), { TOKEN_TTL_SECONDS: "20" });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const count = (event: string) => t.logs.entries.filter((e) => e.event === event).length;

  it("renews with RefreshSession instead of logging in again, and logs in when the session has ended", async () => {
    // Prepare
    const { username, password } = await t.signIn();
    const client = createChatClient({ address: t.server.address });
    const auth = passwordSession(client, username, password);
    const [logins, refreshes] = [count("login.accepted"), count("session.refreshed")];
    // Act
    const tokens = [await auth.token(), await auth.token(), await auth.token()];
    await logout(t.auth, { token: tokens[2] });
    auth.refresh?.();
    const afterLogout = await auth.token();
    client.close();
    // Assess
    expect(new Set(tokens).size).toBe(3);
    expect(count("login.accepted") - logins).toBe(2);
    expect(count("session.refreshed") - refreshes).toBe(2);
    expect(afterLogout).not.toBe(tokens[2]);
  });
});
