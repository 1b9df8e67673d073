import { credentials, Metadata, status } from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatServiceClient } from "../../../grpc-app/src/gen/chat/v1/chat.ts";
import type { ChatStore } from "../../../grpc-app/src/store/chat-store.ts";
import {
  bearer,
  checkHealth,
  login,
  logout,
  newRoom,
  openStream,
  refreshSession,
  sendNote,
  startTestServer,
  type TestServer,
  testSecret,
} from "./chat-fixture.ts";
import { listServices } from "./reflection-client.ts";

const limits = {
  MAX_TEXT_BYTES: "1024",
  SUBSCRIBER_BUFFER: "32",
  MAX_STREAMS: "5",
  REVOCATION_CHECK_MS: "200",
};

const sign = (
  claims: { sub: string; exp: number; jti?: string; sid?: string },
  secret = testSecret,
) => {
  const jwt = new SignJWT(claims.sid === undefined ? {} : { sid: claims.sid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("slipway-chat")
    .setSubject(claims.sub)
    .setIssuedAt(claims.exp - 60)
    .setExpirationTime(claims.exp);
  if (claims.jti !== undefined) jwt.setJti(claims.jti);
  return jwt.sign(new TextEncoder().encode(secret));
};
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;

function basicAuth() {
  const metadata = new Metadata();
  metadata.set("authorization", "Basic YWxpY2U6c2VjcmV0");
  return metadata;
}

/**
 * The chat contract, run against each store: what any client may rely on, whichever store
 * backs the replica it talks to.
 */
export function chatContract(
  openStore: () => Promise<{ store: ChatStore; close(): Promise<void> }>,
) {
  let t: TestServer;
  let close: () => Promise<void>;
  let token: string;
  let username: string;
  // The server's clock runs ahead by this much: a test moves it past a grace period.
  let skewMs = 0;

  beforeAll(async () => {
    const opened = await openStore();
    close = opened.close;
    t = await startTestServer(opened.store, limits, { now: () => Date.now() + skewMs });
    ({ token, username } = await t.signIn());
  });
  afterAll(async () => {
    await t?.stop();
    await close?.();
  });

  describe("login", () => {
    it("returns a signed access token for 15 minutes and a refresh token for 7 days", async () => {
      const { username: name, password } = await t.signIn();
      const before = Date.now();

      const response = await login(t.auth, name, password);
      const after = Date.now();

      expect(response.token.split(".")).toHaveLength(3);
      // JWT times are whole seconds, so the expiry may round down by up to one.
      const expiresAt = response.expiresAt?.getTime() ?? 0;
      expect(expiresAt).toBeGreaterThan(before + 900_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(after + 900_000);
      expect(response.refreshToken).toMatch(/^[\w-]{22}\.[\w-]{43}$/);
      const refreshExpiresAt = response.refreshExpiresAt?.getTime() ?? 0;
      expect(refreshExpiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
      expect(refreshExpiresAt).toBeLessThanOrEqual(after + 7 * 86_400_000);
    });

    it("refuses a wrong password and an unknown user alike with UNAUTHENTICATED", async () => {
      const wrongPassword = login(t.auth, username, "not-the-password");
      const unknownUser = login(t.auth, "nobody-here", "whatever");

      await Promise.all([
        expect(wrongPassword).rejects.toMatchObject({ code: status.UNAUTHENTICATED }),
        expect(unknownUser).rejects.toMatchObject({ code: status.UNAUTHENTICATED }),
      ]);
    });
  });

  describe("tokens", () => {
    const badTokens = async (): Promise<Record<string, Metadata>> => ({
      "no authorization metadata": new Metadata(),
      "a malformed token": bearer("not-a-jwt"),
      "a non-bearer scheme": basicAuth(),
      "a token signed with another secret": bearer(
        await sign(
          { sub: username, exp: inTenMinutes(), jti: "j", sid: "s" },
          "another-secret-another-secret-0123456789",
        ),
      ),
      // As tokens from before revocation existed: it could never be revoked, so it is refused.
      "a token without jti and session": bearer(await sign({ sub: username, exp: inTenMinutes() })),
      "an expired token": bearer(
        await sign({ sub: username, exp: Math.floor(Date.now() / 1000) - 5 }),
      ),
    });

    it("refuses SendNote with UNAUTHENTICATED for every bad token and stores nothing", async () => {
      const room = newRoom();
      for (const [label, metadata] of Object.entries(await badTokens())) {
        const sent = sendNote(t.chat, metadata, room, "x");
        await expect(sent, label).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      }
      expect(await t.server.store.listAfter(room, 0, 10)).toEqual([]);
    });

    it("refuses ChatStream with UNAUTHENTICATED for every bad token", async () => {
      for (const [label, metadata] of Object.entries(await badTokens())) {
        const ended = await openStream(t.chat, metadata, newRoom()).ended;
        expect(ended.code, label).toBe(status.UNAUTHENTICATED);
      }
    });

    it("takes the author from the token, not from anything the client claims", async () => {
      const room = newRoom();
      const metadata = bearer(token);
      metadata.set("x-slipway-verified-user", "mallory");

      await sendNote(t.chat, metadata, room, "who am I");

      const [note] = await t.server.store.listAfter(room, 0, 1);
      expect(note?.author).toBe(username);
    });
  });

  describe("sessions", () => {
    it("refreshes: a new access token that works, and a new refresh token in place of the spent one", async () => {
      // Prepare
      const first = await t.signIn();
      // Act
      const renewed = await refreshSession(t.auth, first.refreshToken);
      // Assess
      expect(renewed.token).not.toBe(first.token);
      expect(renewed.refreshToken).not.toBe(first.refreshToken);
      expect(renewed.refreshToken.slice(0, 22)).toBe(first.refreshToken.slice(0, 22));
      await expect(sendNote(t.chat, renewed.token, newRoom(), "renewed")).resolves.toBeTruthy();
      const again = await refreshSession(t.auth, renewed.refreshToken);
      expect(again.refreshToken).not.toBe(renewed.refreshToken);
    });

    it("refuses a replayed refresh token and ends its session: every token it led to stops working", async () => {
      // Prepare
      const first = await t.signIn();
      const renewed = await refreshSession(t.auth, first.refreshToken);
      skewMs += 11_000; // past REFRESH_REUSE_GRACE_MS (10 s): no longer a second tab's race
      // Act: the spent token comes back (a copy in a thief's hands)
      const replay = refreshSession(t.auth, first.refreshToken);
      // Assess
      await expect(replay).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(refreshSession(t.auth, renewed.refreshToken)).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      await expect(sendNote(t.chat, renewed.token, newRoom(), "x")).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
        details: "token revoked; log in again",
      });
    });

    it("lets one of two concurrent spends of one refresh token rotate, and the other (a second tab) end nothing", async () => {
      // Prepare
      const first = await t.signIn();
      // Act
      const spends = await Promise.allSettled([
        refreshSession(t.auth, first.refreshToken),
        refreshSession(t.auth, first.refreshToken),
      ]);
      // Assess
      const won = spends.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      const lost = spends.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toMatchObject([{ code: status.ABORTED }]);
      await expect(sendNote(t.chat, won[0]?.token ?? "", newRoom(), "x")).resolves.toBeTruthy();
      await expect(refreshSession(t.auth, won[0]?.refreshToken ?? "")).resolves.toBeTruthy();
    });

    it("refuses a forged refresh token for a known session without ending the session", async () => {
      // The session id is no secret (access tokens carry it); only a real replay ends it.
      const session = await t.signIn();
      const forged = `${session.refreshToken.slice(0, 23)}${"x".repeat(43)}`;

      await expect(refreshSession(t.auth, forged)).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });

      await expect(sendNote(t.chat, session.token, newRoom(), "x")).resolves.toBeTruthy();
      await expect(refreshSession(t.auth, session.refreshToken)).resolves.toBeTruthy();
    });

    it("refuses a malformed or unknown refresh token with UNAUTHENTICATED", async () => {
      const unknown = `${"a".repeat(22)}.${"b".repeat(43)}`;
      for (const bad of ["", "nonsense", unknown]) {
        await expect(refreshSession(t.auth, bad), bad).rejects.toMatchObject({
          code: status.UNAUTHENTICATED,
        });
      }
    });

    it("logout revokes the access token at once and ends the session", async () => {
      // Prepare
      const session = await t.signIn();
      await sendNote(t.chat, session.token, newRoom(), "before");
      // Act
      await logout(t.auth, { token: session.token });
      // Assess
      await expect(sendNote(t.chat, session.token, newRoom(), "after")).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
        details: "token revoked; log in again",
      });
      const stream = await openStream(t.chat, session.token, newRoom()).ended;
      expect(stream.code).toBe(status.UNAUTHENTICATED);
      await expect(refreshSession(t.auth, session.refreshToken)).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    });

    it("logout ends the open streams of the token within REVOCATION_CHECK_MS", async () => {
      // Prepare
      const session = await t.signIn();
      const room = newRoom();
      const reader = openStream(t.chat, session.token, room);
      await sendNote(t.chat, session.token, room, "live");
      await reader.received(1);
      // Act
      const started = performance.now();
      await logout(t.auth, { token: session.token });
      const ended = await reader.ended;
      const tookMs = performance.now() - started;
      // Assess
      console.info(`stream of a revoked token ended ${Math.round(tookMs)} ms after logout`);
      expect(ended).toMatchObject({
        code: status.UNAUTHENTICATED,
        details: "token revoked; log in again",
      });
      expect(tookMs).toBeLessThan(200 + 1_000);
    });

    it("logs out with only the refresh token, once the access token is gone", async () => {
      const session = await t.signIn();

      await logout(t.auth, { refreshToken: session.refreshToken });

      await expect(refreshSession(t.auth, session.refreshToken)).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
      await expect(sendNote(t.chat, session.token, newRoom(), "x")).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    });

    it("refuses a logout without a valid token, and a stale refresh token ends nothing", async () => {
      const session = await t.signIn();
      const renewed = await refreshSession(t.auth, session.refreshToken);
      // A forged refresh token for the session's id is not its current one.
      const forged = `${session.refreshToken.slice(0, 23)}${"x".repeat(43)}`;

      await expect(logout(t.auth, {})).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await logout(t.auth, { refreshToken: forged });

      await expect(refreshSession(t.auth, renewed.refreshToken)).resolves.toBeTruthy();
    });
  });

  describe("notes", () => {
    it("acks each note with a larger id than the last and the server's time", async () => {
      const room = newRoom();
      const before = Date.now();

      const first = await sendNote(t.chat, token, room, "one");
      const second = await sendNote(t.chat, token, newRoom(), "two");

      expect(second.id).toBeGreaterThan(first.id);
      expect(first.sentAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });

    it("rejects text over the byte limit with INVALID_ARGUMENT and stores nothing", async () => {
      const room = newRoom();
      // 342 three-byte characters are 1026 bytes: over the limit though under 1024 characters.
      const oversized = sendNote(t.chat, token, room, "€".repeat(342));

      await expect(oversized).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: "text is 1026 bytes; the limit is 1024",
      });
      expect(await t.server.store.listAfter(room, 0, 10)).toEqual([]);
    });

    it("refuses a message far beyond any valid request with RESOURCE_EXHAUSTED before reading it", async () => {
      const room = newRoom();
      const huge = sendNote(t.chat, token, room, "a".repeat(64 * 1024));

      await expect(huge).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
      expect(await t.server.store.listAfter(room, 0, 10)).toEqual([]);
    });

    it("still accepts a login at the longest valid password, in four-byte characters", async () => {
      await expect(login(t.auth, username, "😀".repeat(1024))).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    });

    it("accepts text of exactly the byte limit", async () => {
      const ack = await sendNote(t.chat, token, newRoom(), "a".repeat(1024));

      expect(ack.id).toBeGreaterThan(0);
    });

    it("rejects an empty text and a malformed room with INVALID_ARGUMENT", async () => {
      await expect(sendNote(t.chat, token, newRoom(), "")).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
      });
      await expect(sendNote(t.chat, token, "no spaces allowed", "hi")).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
      });
    });
  });

  describe("streaming", () => {
    it("replays the room's history, then streams live notes, in id order", async () => {
      const room = newRoom();
      const history = [];
      for (const text of ["a", "b", "c"]) history.push(await sendNote(t.chat, token, room, text));
      await sendNote(t.chat, token, newRoom(), "another room");

      const reader = openStream(t.chat, token, room);
      await reader.received(3);
      const live = await sendNote(t.chat, token, room, "d");
      const notes = await reader.received(4);
      reader.call.cancel();

      expect(notes.map((n) => n.id)).toEqual([...history.map((h) => h.id), live.id]);
      expect(notes.map((n) => n.text)).toEqual(["a", "b", "c", "d"]);
      expect(notes[3]).toMatchObject({ room, author: username, sentAt: live.sentAt });
    });

    it("resumes after a cursor with exactly the later notes", async () => {
      const room = newRoom();
      const acks = [];
      for (let i = 0; i < 6; i += 1) acks.push(await sendNote(t.chat, token, room, `n${i}`));
      const cursor = acks[2]?.id ?? 0;

      const reader = openStream(t.chat, token, room, cursor);
      const notes = await reader.received(3);
      reader.call.cancel();

      expect(notes.map((n) => n.id)).toEqual(acks.slice(3).map((a) => a.id));
    });

    it("delivers every note of concurrent senders once, in increasing id order", async () => {
      const room = newRoom();
      const reader = openStream(t.chat, token, room);
      const senders = Array.from({ length: 5 }, (_, s) =>
        (async () => {
          const ids = [];
          for (let i = 0; i < 20; i += 1)
            ids.push((await sendNote(t.chat, token, room, `${s}-${i}`)).id);
          return ids;
        })(),
      );
      const acked = (await Promise.all(senders)).flat().sort((a, b) => a - b);

      const notes = await reader.received(100);
      reader.call.cancel();

      expect(notes.map((n) => n.id)).toEqual(acked);
    });

    it("ends a subscriber that stops reading with RESOURCE_EXHAUSTED, keeping its buffer bounded", async () => {
      const room = newRoom();
      // The slow reader gets its own connection, as a real one would: a paused stream holds
      // back its connection's flow-control window, which would also stall the sender's calls.
      const slowClient = new ChatServiceClient(t.server.address, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      });
      const reader = openStream(slowClient, token, room);
      reader.call.pause();
      let overflowed = false;
      const overflow = t.logs.next((e) => e.event === "stream.ended" && e.room === room);
      void overflow.then(() => {
        overflowed = true;
      });
      const text = "x".repeat(1000);
      let sent = 0;
      while (!overflowed && sent < 5000) {
        await sendNote(t.chat, token, room, text);
        sent += 1;
      }

      const entry = await overflow;
      reader.call.resume();
      const ended = await reader.ended;
      slowClient.close();

      expect(entry.outcome).toBe("overflow");
      expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(reader.notes.length).toBeLessThan(sent);
    });

    it("refuses one user's stream beyond the per-user limit, while another user still gets one", async () => {
      const own = await startTestServer(t.server.store, { ...limits, MAX_STREAMS_PER_USER: "2" });
      try {
        const [a, b] = [await own.signIn(), await own.signIn()];
        const rooms = [newRoom(), newRoom()];
        const opened = rooms.map((room) =>
          own.logs.next((e) => e.event === "stream.opened" && e.room === room),
        );
        const open = rooms.map((room) => openStream(own.chat, a.token, room));
        await Promise.all(opened);

        const refused = await openStream(own.chat, a.token, newRoom()).ended;
        const room = newRoom();
        const other = openStream(own.chat, b.token, room);
        await sendNote(own.chat, b.token, room, "another user still streams");
        await other.received(1);
        for (const reader of [...open, other]) reader.call.cancel();

        expect(refused).toMatchObject({
          code: status.RESOURCE_EXHAUSTED,
          details: "too many open streams for this user; close one first",
        });
      } finally {
        await own.stop();
      }
    });

    it("refuses a stream beyond the concurrent limit with RESOURCE_EXHAUSTED, then frees the slot", async () => {
      const rooms = Array.from({ length: 5 }, newRoom);
      const opened = rooms.map((room) =>
        t.logs.next((e) => e.event === "stream.opened" && e.room === room),
      );
      const open = rooms.map((room) => openStream(t.chat, token, room));
      await Promise.all(opened);

      const refused = openStream(t.chat, token, newRoom());
      const error = await refused.ended;
      const closed = t.logs.next((e) => e.event === "stream.ended" && e.room === rooms[0]);
      open[0]?.call.cancel();
      await closed;
      const room = newRoom();
      const again = openStream(t.chat, token, room);
      await sendNote(t.chat, token, room, "room for one more");
      await again.received(1);
      for (const reader of [...open, again]) reader.call.cancel();

      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    });
  });

  describe("operations", () => {
    it("reports SERVING on grpc.health.v1 for the server and each service", async () => {
      const statuses = await Promise.all(
        ["", "chat.v1.ChatService", "chat.v1.AuthService"].map((s) =>
          checkHealth(t.server.address, s),
        ),
      );

      expect(statuses).toEqual(["SERVING", "SERVING", "SERVING"]);
    });

    it("lists every service over server reflection, as grpcurl asks", async () => {
      const services = await listServices(t.server.address);

      expect(services).toEqual(
        expect.arrayContaining([
          "chat.v1.AuthService",
          "chat.v1.ChatService",
          "grpc.health.v1.Health",
        ]),
      );
    });
  });
}
