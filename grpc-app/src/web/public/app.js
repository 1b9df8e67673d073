// Slipway chat page: plain DOM, no framework. The session token stays in an HttpOnly
// cookie; this script only ever sees the username and the CSRF token for its session.
// Live notes arrive over server-sent events, each with the note id as its event id, so a
// reconnect (to this or any other web replica) resumes after the last note shown.

const maxShown = 500;
const byId = (id) => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element;
};

const view = {
  login: byId("login-view"),
  loginForm: byId("login-form"),
  loginError: byId("login-error"),
  loginSubmit: byId("login-submit"),
  username: byId("username"),
  password: byId("password"),
  chat: byId("chat-view"),
  account: byId("account"),
  whoami: byId("whoami"),
  whoamiAvatar: byId("whoami-avatar"),
  logout: byId("logout"),
  status: byId("status"),
  statusText: byId("status-text"),
  roomList: byId("room-list"),
  roomForm: byId("room-form"),
  roomInput: byId("room-input"),
  roomName: byId("room-name"),
  scroller: byId("scroller"),
  messages: byId("messages"),
  empty: byId("empty"),
  sendForm: byId("send-form"),
  message: byId("message"),
  send: byId("send"),
  sendError: byId("send-error"),
};

const state = {
  username: "",
  csrfToken: "",
  rooms: [],
  room: "",
  /** The resume cursor: the id of the last note shown in this room. */
  lastId: 0,
  /** @type {EventSource | undefined} */
  source: undefined,
  /** @type {{ author: string, sentAt: number } | undefined} */
  lastNote: undefined,
  reconnectTimer: 0,
  failures: 0,
  /** When the access token ends (ms since the epoch); refreshed before then. */
  expiresAt: 0,
  refreshTimer: 0,
};

const roomPattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

// ---- talking to the web server -------------------------------------------------------

async function request(path, options = {}) {
  const headers = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.method === "POST" && state.csrfToken !== "") {
    headers["x-csrf-token"] = state.csrfToken;
  }
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "same-origin",
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  return { status: response.status, data };
}

/**
 * A state-changing request. A stale CSRF token (another replica's key) is renewed once; an
 * expired access token is refreshed once.
 */
async function change(path, body) {
  let result = await request(path, { method: "POST", body });
  if (result.status === 403 && result.data.code === "csrf-token") {
    const session = await request("/api/session");
    if (session.status === 200) {
      adopt(session.data);
      result = await request(path, { method: "POST", body });
    }
  }
  if (result.status === 401 && path !== "/api/login" && path !== "/api/logout") {
    if (await renewSession()) result = await request(path, { method: "POST", body });
    if (result.status === 401) signedOut("Your session has ended. Sign in again.");
  }
  return result;
}

function adopt(session) {
  state.username = session.username;
  state.csrfToken = session.csrfToken;
  state.rooms = session.rooms;
  state.expiresAt = Date.parse(session.expiresAt) || 0;
  scheduleRefresh();
}

// ---- keeping the session ---------------------------------------------------------------

/**
 * Refreshes at a random point between 60% and 80% of the access token's remaining life, so
 * that tabs of one browser (one cookie jar) rarely spend the same refresh token at once; when
 * they do, the later one gets 409 and takes the cookies the first one set.
 */
function scheduleRefresh() {
  window.clearTimeout(state.refreshTimer);
  if (state.expiresAt === 0) return;
  const left = state.expiresAt - Date.now();
  const delay = Math.max(1_000, left * (0.6 + Math.random() * 0.2));
  state.refreshTimer = window.setTimeout(() => void renewSession(), delay);
}

/** Renews the access token with the refresh cookie; false when the session is over. */
async function renewSession() {
  try {
    // Another tab may have refreshed already: then the cookie is new and nothing is spent.
    const current = await request("/api/session");
    if (current.status === 200 && Date.parse(current.data.expiresAt) > state.expiresAt + 1_000) {
      adopt(current.data);
      return true;
    }
    if (current.status === 401 && current.data.code !== "renewable") return false;
    const result = await request("/api/session/refresh", { method: "POST" });
    if (result.status === 200) {
      adopt(result.data);
      return true;
    }
    if (result.status === 401) return false;
    // 409: another tab renewed it a moment ago; its new cookies are ours too.
    if (result.status === 409) {
      const renewed = await request("/api/session");
      if (renewed.status === 200) {
        adopt(renewed.data);
        return true;
      }
    }
  } catch {
    // Offline: try again shortly; the access token may still be good meanwhile.
  }
  window.clearTimeout(state.refreshTimer);
  state.refreshTimer = window.setTimeout(() => void renewSession(), 5_000);
  return state.expiresAt > Date.now();
}

// ---- connection status ---------------------------------------------------------------

function setStatus(kind, text) {
  view.status.dataset.state = kind;
  view.statusText.textContent = text;
}

// ---- signing in and out --------------------------------------------------------------

function showLogin(message = "") {
  closeStream();
  view.chat.hidden = true;
  view.account.hidden = true;
  view.login.hidden = false;
  view.loginError.textContent = message;
  setStatus("idle", "Signed out");
  // Not while someone is already typing into the form (the page checks its session first).
  if (!view.loginForm.contains(document.activeElement)) view.username.focus();
}

function signedOut(message) {
  window.clearTimeout(state.refreshTimer);
  state.username = "";
  state.csrfToken = "";
  state.expiresAt = 0;
  showLogin(message);
}

function showChat() {
  view.login.hidden = true;
  view.chat.hidden = false;
  view.account.hidden = false;
  view.whoami.textContent = state.username;
  paintAvatar(view.whoamiAvatar, state.username);
  openRoom(roomFromHash() ?? state.rooms[0] ?? "general");
  view.message.focus();
}

view.loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = view.username.value.trim();
  const password = view.password.value;
  if (username === "" || password === "") {
    view.loginError.textContent = "Enter your username and password.";
    return;
  }
  view.loginSubmit.disabled = true;
  view.loginError.textContent = "";
  try {
    const result = await request("/api/login", { method: "POST", body: { username, password } });
    if (result.status === 200) {
      adopt(result.data);
      view.password.value = "";
      showChat();
    } else {
      view.loginError.textContent =
        result.status === 401
          ? "Wrong username or password."
          : (result.data.error ?? "Sign-in failed. Try again.");
      view.password.select();
    }
  } catch {
    view.loginError.textContent = "Cannot reach the server. Check your connection and try again.";
  } finally {
    view.loginSubmit.disabled = false;
  }
});

view.logout.addEventListener("click", async () => {
  closeStream();
  try {
    await change("/api/logout");
  } finally {
    signedOut("");
  }
});

// ---- rooms ---------------------------------------------------------------------------

function roomFromHash() {
  let room;
  try {
    room = decodeURIComponent(location.hash.slice(1));
  } catch {
    // A link like `#%` or `#%E0%A4%A` is no room: decodeURIComponent throws URIError.
    return undefined;
  }
  return roomPattern.test(room) ? room : undefined;
}

function renderRooms() {
  const rooms = state.rooms.includes(state.room) ? state.rooms : [...state.rooms, state.room];
  view.roomList.replaceChildren(
    ...rooms.map((room) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = room;
      button.dataset.room = room;
      if (room === state.room) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => openRoom(room));
      item.append(button);
      return item;
    }),
  );
}

function openRoom(room) {
  if (state.room === room && state.source !== undefined) return;
  state.room = room;
  state.lastId = 0;
  state.lastNote = undefined;
  if (location.hash !== `#${room}`) history.replaceState(null, "", `#${room}`);
  document.title = `#${room} · Slipway chat`;
  view.roomName.textContent = room;
  view.message.placeholder = `Message #${room}`;
  view.messages.replaceChildren();
  view.empty.hidden = false;
  view.sendError.textContent = "";
  renderRooms();
  connect();
}

view.roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = view.roomInput.value.trim().toLowerCase();
  if (!roomPattern.test(room)) {
    view.roomInput.reportValidity();
    return;
  }
  view.roomInput.value = "";
  openRoom(room);
  view.message.focus();
});

window.addEventListener("hashchange", () => {
  const room = roomFromHash();
  if (room !== undefined && state.username !== "") openRoom(room);
});

// ---- live notes ----------------------------------------------------------------------

function connect() {
  closeStream();
  setStatus("connecting", state.lastId > 0 ? "Reconnecting…" : "Connecting…");
  const url = `/api/rooms/${encodeURIComponent(state.room)}/events?after=${state.lastId}`;
  const source = new EventSource(url);
  state.source = source;
  source.addEventListener("open", () => {
    state.failures = 0;
    setStatus("live", "Live");
  });
  source.addEventListener("note", (event) => {
    const note = JSON.parse(event.data);
    // Replays after a reconnect may overlap what is shown; the id decides.
    if (note.room !== state.room || note.id <= state.lastId) return;
    state.lastId = note.id;
    renderNote(note);
  });
  source.addEventListener("session-expired", async () => {
    // Revoked (a logout elsewhere in this browser, a replayed refresh token) or expired:
    // a refresh tells which, and reconnects from the cursor if the session lives on.
    closeStream();
    if (await renewSession()) connect();
    else signedOut("Your session has ended. Sign in again.");
  });
  source.addEventListener("room-invalid", (event) => {
    closeStream();
    setStatus("offline", "Room unavailable");
    view.sendError.textContent = JSON.parse(event.data).error ?? "This room cannot be opened.";
  });
  source.addEventListener("error", () => {
    if (source !== state.source) return;
    // CONNECTING: the browser retries by itself and sends Last-Event-ID. CLOSED: it gave up
    // (an HTTP error such as 401 or 503), so check the session and reopen from the cursor.
    setStatus("connecting", "Reconnecting…");
    if (source.readyState === EventSource.CLOSED) scheduleReconnect();
  });
}

function scheduleReconnect() {
  closeStream();
  const delay = Math.min(10_000, 500 * 2 ** state.failures) * (0.75 + Math.random() / 2);
  state.failures += 1;
  state.reconnectTimer = window.setTimeout(async () => {
    try {
      const session = await request("/api/session");
      if (
        session.status === 401 &&
        !(session.data.code === "renewable" && (await renewSession()))
      ) {
        signedOut("Your session has ended. Sign in again.");
        return;
      }
      if (session.status === 200) adopt(session.data);
      connect();
    } catch {
      setStatus("offline", "Offline, retrying…");
      scheduleReconnect();
    }
  }, delay);
}

function closeStream() {
  window.clearTimeout(state.reconnectTimer);
  state.source?.close();
  state.source = undefined;
}

// ---- rendering -----------------------------------------------------------------------

/** Hues far enough apart to tell people apart at a glance; a name always gets the same. */
const avatarHues = [4, 24, 150, 172, 200, 222, 258, 285, 322];

function hue(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) % 1_000_003;
  return avatarHues[hash % avatarHues.length];
}

function paintAvatar(element, name) {
  element.textContent = name.slice(0, 1);
  // CSSOM writes are allowed under the CSP's style-src 'self'; inline style attributes are not.
  element.style.setProperty("--hue", String(hue(name)));
}

function formatTime(date) {
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? timeFormat.format(date)
    : dateTimeFormat.format(date);
}

function renderNote(note) {
  const sentAt = new Date(note.sentAt);
  const mine = note.author === state.username;
  const previous = state.lastNote;
  const continued =
    previous !== undefined &&
    previous.author === note.author &&
    sentAt.getTime() - previous.sentAt < 5 * 60_000;
  state.lastNote = { author: note.author, sentAt: sentAt.getTime() };

  const item = document.createElement("li");
  item.className = `note${mine ? " mine" : ""}${continued ? " continued" : ""}`;
  item.dataset.id = String(note.id);
  item.dataset.author = note.author;

  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  paintAvatar(avatar, note.author);

  const meta = document.createElement("p");
  meta.className = "meta";
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = mine ? "You" : note.author;
  const time = document.createElement("time");
  time.dateTime = note.sentAt;
  time.title = fullFormat.format(sentAt);
  time.textContent = formatTime(sentAt);
  meta.append(author, time);

  const bubble = document.createElement("p");
  bubble.className = "bubble";
  bubble.textContent = note.text;

  item.append(avatar, meta, bubble);

  const scroller = view.scroller;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
  view.empty.hidden = true;
  view.messages.append(item);
  while (view.messages.childElementCount > maxShown) view.messages.firstElementChild?.remove();
  if (atBottom || mine) scroller.scrollTop = scroller.scrollHeight;
}

// ---- sending -------------------------------------------------------------------------

function fitComposer() {
  view.message.style.height = "auto";
  view.message.style.height = `${Math.min(view.message.scrollHeight + 2, 160)}px`;
}

view.message.addEventListener("input", fitComposer);
view.message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    view.sendForm.requestSubmit();
  }
});

view.sendForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = view.message.value.trim();
  if (text === "") return;
  view.send.disabled = true;
  view.sendError.textContent = "";
  try {
    const result = await change(`/api/rooms/${encodeURIComponent(state.room)}/notes`, { text });
    if (result.status === 201) {
      view.message.value = "";
      fitComposer();
    } else if (result.status !== 401) {
      view.sendError.textContent = result.data.error ?? "The message was not sent. Try again.";
    }
  } catch {
    view.sendError.textContent = "Cannot reach the server. The message was not sent.";
  } finally {
    view.send.disabled = false;
    view.message.focus();
  }
});

// ---- start ---------------------------------------------------------------------------

async function start() {
  try {
    const session = await request("/api/session");
    // Someone quick may have signed in through the form meanwhile; leave their chat alone.
    if (state.username !== "") return;
    if (session.status === 200) {
      adopt(session.data);
      showChat();
      return;
    }
    // The access cookie lasts minutes; the refresh cookie brings a returning visitor back.
    const renewed = session.data.code === "renewable" && (await renewSession());
    if (renewed) showChat();
    else if (state.username === "") showLogin();
  } catch {
    showLogin("Cannot reach the server. Reload the page to try again.");
  }
}

start();
