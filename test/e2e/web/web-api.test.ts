import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogEntry } from "../../../grpc-app/src/log/logger.ts";
import type { ChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import type { WebServer } from "../../../grpc-app/src/web/web-server.ts";
import { type Account, startChat, startWeb } from "./chat-fixture.ts";
import { collectEvents, PageClient } from "./http-client.ts";

// The web client's HTTP contract against a real chat server: sessions, CSRF, limits, the
// event stream's resume cursor and health. The browser suite covers the page itself.
describe("web client API", () => {
  let chat: ChatServer;
  let web: WebServer;
  let gateway: ChatGateway;
  let logs: LogEntry[];
  let alice: Account;
  let bob: Account;

  beforeAll(async () => {
    // No second-tab grace: a replayed refresh cookie is a replay however soon it comes.
    const started = await startChat(["alice", "bob"], { REFRESH_REUSE_GRACE_MS: "0" });
    chat = started.chat;
    [alice, bob] = started.accounts as [Account, Account];
    ({ web, gateway, logs } = await startWeb(chat.address));
  });

  afterAll(async () => {
    await web?.close();
    gateway?.close();
    await chat?.shutdown(1_000);
  });

  it("serves the page with a CSP that allows no inline script and forbids framing", async () => {
    // Act
    const page = await fetch(web.url);
    // Assess
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
  });

  it("answers livez UP whether or not the chat server is reachable", async () => {
    const live = await fetch(new URL("/livez", web.url));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "UP" });
  });

  it("answers healthz UP while the chat server is reachable", async () => {
    const health = await fetch(new URL("/healthz", web.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "UP" });
  });

  it("keeps the token out of the page: the cookie is HttpOnly and the body has none", async () => {
    // Prepare
    const page = new PageClient(web.url);
    // Act
    const login = await page.login(alice.username, alice.password);
    // Assess
    expect(login.status).toBe(200);
    expect(Object.keys(login.json).sort()).toEqual(["csrfToken", "expiresAt", "rooms", "username"]);
    expect(login.json.username).toBe("alice");
    const [cookie = "", refresh = ""] = login.headers.getSetCookie();
    expect(cookie).toMatch(/^slipway_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=\d+;/);
    expect(cookie).toContain("; HttpOnly; SameSite=Strict");
    expect(refresh).toMatch(/^slipway_refresh=[\w-]+\.[\w-]+; Path=\/api\/; Max-Age=\d+;/);
    expect(refresh).toContain("; HttpOnly; SameSite=Strict");
    const token = page.cookieValue("slipway_session");
    expect(token.split(".")).toHaveLength(3);
    expect(JSON.stringify(login.json)).not.toContain(token);
    expect(JSON.stringify(login.json)).not.toContain(page.cookieValue("slipway_refresh"));
  });

  it("refuses a wrong password with 401 and sets no cookie", async () => {
    const page = new PageClient(web.url);
    const login = await page.login(alice.username, "not-the-password");
    expect(login.status).toBe(401);
    expect(login.json).toEqual({ error: "Wrong username or password." });
    expect(login.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a state-changing request from another origin, even with the right token", async () => {
    // Prepare
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    // Act
    const crossSite = await page.post(
      "/api/rooms/general/notes",
      { text: "forged" },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    const noOrigin = await fetch(new URL("/api/login", web.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: alice.username, password: alice.password }),
    });
    // Assess
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.code).toBe("cross-origin");
    expect(noOrigin.status).toBe(403);
  });

  it("refuses a note without this session's CSRF token", async () => {
    // Prepare: bob's token is valid, but for another session
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const other = new PageClient(web.url);
    await other.login(bob.username, bob.password);
    // Act
    const missing = await page.post(
      "/api/rooms/general/notes",
      { text: "x" },
      { "x-csrf-token": "" },
    );
    const foreign = await page.post(
      "/api/rooms/general/notes",
      { text: "x" },
      { "x-csrf-token": other.csrfToken },
    );
    // Assess
    expect(missing.status).toBe(403);
    expect(foreign.status).toBe(403);
    expect(foreign.json.code).toBe("csrf-token");
  });

  it("refuses a body over 16 KiB with 413 and a body that is not JSON with 415", async () => {
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const big = await page.post("/api/rooms/general/notes", { text: "x".repeat(17 * 1024) });
    const form = await page.post("/api/rooms/general/notes", "text=hi", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(big.status).toBe(413);
    expect(form.status).toBe(415);
  });

  it("resumes the event stream after Last-Event-ID, missing and repeating nothing", async () => {
    // Prepare: three notes in a fresh room
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const ids: unknown[] = [];
    for (const text of ["one", "two", "three"]) {
      ids.push((await page.post("/api/rooms/resume/notes", { text })).json.id);
    }
    const url = new URL("/api/rooms/resume/events", web.url).toString();
    // Act: reconnect as a browser does, with the id of the first note
    const { status, events } = await collectEvents(
      url,
      { cookie: page.cookie, "last-event-id": String(ids[0]) },
      (seen) => seen.length >= 2,
    );
    // Assess
    expect(status).toBe(200);
    expect(events.map((e) => e.id)).toEqual([String(ids[1]), String(ids[2])]);
    expect(events.map((e) => JSON.parse(e.data).text)).toEqual(["two", "three"]);
    expect(JSON.parse(events[0]?.data ?? "{}")).toMatchObject({ room: "resume", author: "alice" });
  });

  it("tells the page its session has ended when the chat server refuses the token", async () => {
    // Prepare: a well-formed token the chat server did not sign
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("alice")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-chat-servers-key-but-long-enough"));
    const url = new URL("/api/rooms/general/events", web.url).toString();
    // Act
    const { events } = await collectEvents(
      url,
      { cookie: `slipway_session=${forged}` },
      (seen) => seen.length >= 1,
    );
    // Assess
    expect(events).toEqual([{ event: "session-expired", data: "{}" }]);
  });

  it("refreshes the session: new tokens in both cookies and a new CSRF token that works", async () => {
    // Prepare
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const before = {
      session: page.cookieValue("slipway_session"),
      refresh: page.cookieValue("slipway_refresh"),
      csrf: page.csrfToken,
    };
    // Act
    const refreshed = await page.refresh();
    // Assess
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ username: "alice" });
    expect(page.cookieValue("slipway_session")).not.toBe(before.session);
    expect(page.cookieValue("slipway_refresh")).not.toBe(before.refresh);
    expect(page.csrfToken).not.toBe(before.csrf);
    const sent = await page.post("/api/rooms/general/notes", { text: "after a refresh" });
    expect(sent.status).toBe(201);
  });

  it("refuses a replayed refresh cookie with 401, clears both cookies and ends the session", async () => {
    // Prepare: a copy of the cookies, as a thief would take them
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const thief = new PageClient(web.url);
    thief.cookie = page.cookie;
    await page.refresh();
    // Act
    const replay = await thief.refresh();
    // Assess
    expect(replay.status).toBe(401);
    expect(replay.json.code).toBe("signed-out");
    expect(thief.cookies.size).toBe(0);
    // The owner's renewed tokens died with the session: the chat server refuses them.
    const sent = await gateway.sendNote(page.cookieValue("slipway_session"), "general", "x");
    expect(sent).toEqual({ kind: "unauthenticated" });
    expect((await page.refresh()).status).toBe(401);
  });

  it("logs out on the chat server: the old token is refused there, not only forgotten here", async () => {
    // Prepare
    const page = new PageClient(web.url);
    await page.login(bob.username, bob.password);
    const token = page.cookieValue("slipway_session");
    const copy = page.cookie;
    // Act
    const out = await page.post("/api/logout", "");
    // Assess
    expect(out.status).toBe(204);
    expect(page.cookies.size).toBe(0);
    expect(await gateway.sendNote(token, "general", "after logout")).toEqual({
      kind: "unauthenticated",
    });
    const replayed = new PageClient(web.url);
    replayed.cookie = copy;
    expect((await replayed.refresh()).status).toBe(401);
  });

  it("tells a signed-out page whether its refresh cookie could sign it back in", async () => {
    const page = new PageClient(web.url);
    await page.login(alice.username, alice.password);
    const returning = new PageClient(web.url);
    returning.cookie = `slipway_refresh=${page.cookieValue("slipway_refresh")}`;

    const [fresh, back] = [
      await new PageClient(web.url).get("/api/session"),
      await returning.get("/api/session"),
    ];

    expect(fresh).toMatchObject({ status: 401, json: { code: "signed-out" } });
    expect(back).toMatchObject({ status: 401, json: { code: "renewable" } });
    expect((await returning.refresh()).status).toBe(200);
  });

  it("logs out with only the refresh cookie once the access cookie has expired", async () => {
    const page = new PageClient(web.url);
    await page.login(bob.username, bob.password);
    const refreshOnly = new PageClient(web.url);
    refreshOnly.cookie = `slipway_refresh=${page.cookieValue("slipway_refresh")}`;

    const out = await refreshOnly.post("/api/logout", "");

    expect(out.status).toBe(204);
    expect((await page.refresh()).status).toBe(401);
  });

  it("logs each request as JSON without the token or password", async () => {
    // Prepare
    const page = new PageClient(web.url);
    await page.login(bob.username, bob.password);
    await page.post("/api/rooms/general/notes", { text: "logged?" });
    const token = page.cookieValue("slipway_session");
    const refreshToken = page.cookieValue("slipway_refresh");
    // Assess
    const written = JSON.stringify(logs);
    expect(token).not.toBe("");
    expect(written).not.toContain(refreshToken);
    expect(logs.some((e) => e.event === "web.request" && e.path === "/api/login")).toBe(true);
    expect(written).not.toContain(token);
    expect(written).not.toContain(bob.password);
    expect(written).not.toContain(page.csrfToken);
  });
});

describe("two tabs of one browser refreshing at once", () => {
  it("renews once: the other tab gets 409, its cookies stay, and the session lives on", async () => {
    // Prepare: the chat server's default grace; both tabs hold the same cookies
    const { chat, accounts } = await startChat(["dana"]);
    const { web, gateway } = await startWeb(chat.address);
    const [dana] = accounts as [Account];
    const first = new PageClient(web.url);
    await first.login(dana.username, dana.password);
    const second = new PageClient(web.url);
    second.cookie = first.cookie;
    try {
      // Act
      const answers = await Promise.all([first.refresh(), second.refresh()]);
      // Assess
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const lost = answers.find((a) => a.status === 409);
      expect(lost?.json.code).toBe("superseded");
      expect(lost?.headers.getSetCookie()).toEqual([]);
      const winner = answers[0]?.status === 200 ? first : second;
      const sent = await gateway.sendNote(winner.cookieValue("slipway_session"), "general", "hi");
      expect(sent.kind).toBe("sent");
      expect((await winner.refresh()).status).toBe(200);
    } finally {
      await web.close();
      gateway.close();
      await chat.shutdown(500);
    }
  });
});

describe("web client shutdown", () => {
  it("ends open event streams when it stops, so browsers resume on another replica", async () => {
    // Prepare
    const { chat, accounts } = await startChat(["carol"]);
    const { web, gateway } = await startWeb(chat.address);
    const [carol] = accounts as [Account];
    const page = new PageClient(web.url);
    await page.login(carol.username, carol.password);
    const url = new URL("/api/rooms/general/events", web.url).toString();
    try {
      // Act: stop the server while a stream is open; the stream must end, not hang
      const ended = collectEvents(url, { cookie: page.cookie }, () => false);
      await waitFor(() => web.openStreams() === 1);
      const stopping = performance.now();
      const stopped = web.close(30_000);
      // Assess: ended by the server at once, well before the grace period would cut it
      const { status } = await ended;
      expect(status).toBe(200);
      await stopped;
      expect(performance.now() - stopping).toBeLessThan(5_000);
    } finally {
      gateway.close();
      await chat.shutdown(500);
    }
  });
});

describe("web client health", () => {
  it("answers 503 while the chat server is down and UP again once it is back", async () => {
    // Prepare
    const first = await startChat([]);
    const port = first.chat.port;
    const { web, gateway } = await startWeb(first.chat.address);
    const healthz = new URL("/healthz", web.url);
    try {
      expect((await fetch(healthz)).status).toBe(200);
      // Act: the chat server goes away
      await first.chat.shutdown(500);
      const down = await fetch(healthz);
      // Assess
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "DOWN" });
      expect((await fetch(new URL("/livez", web.url))).status).toBe(200);
      // Act: it comes back on the same address
      const second = await startChat([], { GRPC_ADDRESS: `127.0.0.1:${port}` });
      try {
        const up = await poll(async () => (await fetch(healthz)).status, 200, 10_000);
        // Assess
        expect(up).toBe(200);
      } finally {
        await second.chat.shutdown(500);
      }
    } finally {
      await web.close();
      gateway.close();
    }
  });
});

/** Waits until `ready` holds, checking every 20 ms for up to 5 s. */
async function waitFor(ready: () => boolean): Promise<void> {
  expect(await poll(async () => ready(), true, 5_000)).toBe(true);
}

/** Repeats `probe` until it returns `want` or time runs out; returns the last answer. */
async function poll<T>(probe: () => Promise<T>, want: T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (last !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}
