// The protocol client: one WebSocket, automatic reconnection with resume (docs/protocol.md).
const TOKEN_KEY = "vt.token";
// The server recognises a send retried with the same id and text for 5 minutes and answers it
// with the first ack, so a message whose answer was lost can be sent again without a double.
// Past this age it is not sent again on its own: the person decides (a retry could double it).
const RESEND_WITHIN_MS = 4 * 60 * 1000;
// Frames with a room and a numeric `seq` that are not stream events (docs/protocol.md).
const NOT_EVENTS = new Set(["joined", "synced", "ack", "hold_released"]);
// Errors before `welcome` that no retry can mend (a changed protocol): reconnecting stops.
const FINAL_HELLO_ERRORS = new Set(["unsupported_version"]);
// A rejoin refused for now (the database away, too many joins): tried again on this socket.
const REJOIN_RETRY = new Set(["unavailable", "rate_limited"]);
const backoff = (attempt) => Math.min(30000, 500 * 2 ** attempt);

export class ChatClient extends EventTarget {
  /** useToken: false for staff pages: the session cookie says who they are, and a staff
   * browser must not carry (or make) a participant's identity. */
  constructor({ useToken = true } = {}) {
    super();
    this.useToken = useToken;
    this.ws = null;
    this.lang = "fi";
    this.rooms = new Map(); // room -> { lastSeq, name }
    this.pending = new Map(); // frame id -> { frame, at }
    // Messages sent but not answered when the connection broke: sent again, same id, on
    // reconnect (the outbox). Answered ones leave it.
    this.outbox = new Map(); // frame id -> { frame, at }
    this.queued = []; // frames asked for before the server's welcome: sent right after it
    this.nextId = 1;
    this.attempt = 0;
    this.welcomed = false;
    this.stopped = false;
    this.rejoins = new Map(); // frame id -> room, of the joins this client sent by itself
    this.retryAfter = 0; // ms the server asked to wait before the next connection
    this.retryTimer = null; // the next connection's timer, while one waits out its backoff
  }

  connect(lang) {
    this.lang = lang;
    this.stopped = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    this.welcomed = false;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", v: 1, lang: this.lang };
      const token = this.useToken ? localStorage.getItem(TOKEN_KEY) : null;
      if (token) hello.token = token; // in the first frame, never in the URL
      ws.send(JSON.stringify(hello));
    });
    // A socket given up by `reconnectNow` may still speak or close later: it is not heard.
    ws.addEventListener("message", (e) => { if (this.ws === ws) this.#receive(JSON.parse(e.data)); });
    ws.addEventListener("close", (e) => { if (this.ws === ws) this.#closed(e.code); });
  }

  /** Give up this socket (one that may be half-open: a phone that slept, a NAT that forgot
   * it) and connect again now, without waiting for its close handshake. */
  reconnectNow() {
    const ws = this.ws;
    if (this.stopped || !ws) return;
    this.ws = null;
    try { ws.close(); } catch { /* already closing */ }
    this.#closed(1006);
  }

  /** The network is back (the browser's `online`): a connection waiting out its backoff
   * (up to 30 s after a minute offline) is made now, and an open one is checked. */
  resume() {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      this.check();
      return;
    }
    if (this.retryTimer === null) return; // nothing waiting: a connection is on its way
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect(this.lang); // still a reconnect: the rooms are joined again on its welcome
  }

  /** Follow the device's network and the page's visibility: a page shown again after the
   * phone slept checks its socket (it may be half-open); the network back connects now, not
   * after the backoff (up to 30 s after a minute offline); the network gone is said at once,
   * and what is sent waits for the connection, where the socket would otherwise look open,
   * unheard, until its keep-alive fails. */
  followNetwork() {
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.check();
    });
    window.addEventListener("online", () => this.resume());
    window.addEventListener("offline", () => this.reconnectNow());
  }

  /** Whether the socket still answers: a ping, and a new connection if no pong comes within
   * `ms` (after the page was in the background, or the network came back). */
  check(ms = 4000) {
    // Closing or closed: a new connection is on its way already.
    if (this.stopped || !this.ws || this.ws.readyState > WebSocket.OPEN) return;
    const ws = this.ws;
    const id = this.welcomed ? this.request({ type: "ping" }) : null;
    setTimeout(() => {
      if (this.ws !== ws) return; // already replaced
      if (id ? this.pending.has(id) : !this.welcomed) this.reconnectNow();
    }, ms);
  }

  /** Forget this device's identity (the pseudonym will not come back). */
  static forget() {
    localStorage.removeItem(TOKEN_KEY);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #receive(frame) {
    if (!this.welcomed && frame.type === "error" && frame.code !== "invalid_token") {
      // `hello` refused (unavailable, rate_limited): the server would wait for another hello
      // and then close with 1008. Closed here instead, and tried again after a pause.
      if (FINAL_HELLO_ERRORS.has(frame.code)) {
        this.stop();
        this.#emit("refused", { code: frame.code });
        return;
      }
      this.retryAfter = (frame.retry_after ?? 0) * 1000;
      this.reconnectNow();
      return;
    }
    if (frame.type === "welcome") {
      if (frame.token && this.useToken) localStorage.setItem(TOKEN_KEY, frame.token);
      this.welcomed = true;
      const wasReconnect = this.attempt > 0;
      this.attempt = 0;
      this.#emit("welcome", frame);
      // Rejoin every room from the last number seen: the server replays what was missed.
      const queued = this.queued;
      this.queued = [];
      const joining = new Set(queued.filter((f) => f.type === "join").map((f) => f.room));
      this.rejoins.clear();
      for (const [room, state] of this.rooms) {
        if (!joining.has(room)) this.#rejoin(room);
      }
      for (const frame of queued) this.#send(frame);
      for (const [id, entry] of this.outbox) {
        this.outbox.delete(id);
        this.#resend(entry);
      }
      if (wasReconnect) this.#emit("reconnected", {});
      return;
    }
    if (frame.type === "error" && frame.code === "invalid_token") {
      localStorage.removeItem(TOKEN_KEY); // a forgotten identity: start afresh
      this.ws.close();
      return;
    }
    if (frame.id && this.rejoins.has(frame.id)) {
      this.#rejoined(frame);
      return;
    }
    // A stream event is shown once. Frames that are not stream events but name one by its
    // `seq` (the answers and notices listed here) are never taken for one.
    if (typeof frame.seq === "number" && frame.room && this.rooms.has(frame.room)
        && !NOT_EVENTS.has(frame.type)) {
      const state = this.rooms.get(frame.room);
      if (frame.seq <= state.lastSeq) return; // already shown: no duplicates
      state.lastSeq = frame.seq;
    }
    if (frame.type === "left" && !frame.id) this.rooms.delete(frame.room); // e.g. a session closed
    if (frame.id && this.pending.has(frame.id)) {
      const entry = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      this.#emit("answer", { request: entry.frame, answer: frame });
    }
    this.#emit(frame.type, frame);
  }

  #closed(code) {
    const welcomed = this.welcomed;
    this.welcomed = false;
    this.queued = [];
    this.rejoins.clear();
    if (this.stopped) return;
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      if (entry.frame.type === "send" && Date.now() - entry.at < RESEND_WITHIN_MS) {
        this.outbox.set(id, entry); // goes again once we are back
        this.#emit("waiting", { request: entry.frame });
        continue;
      }
      this.#emit("answer", { request: entry.frame, answer: { type: "error", code: "unavailable" } });
    }
    // 1008 is the server's last word only on a socket it welcomed (abuse, a staff session
    // ended); before `welcome` it also closes so a hello that timed out or was refused.
    if (code === 1008 && welcomed) {
      this.stopped = true;
      this.#emit("refused", { code });
      return;
    }
    this.attempt += 1;
    this.#emit("reconnecting", { attempt: this.attempt });
    // Backoff with jitter, so that a restarted server is not hit by everyone at once.
    const base = code === 1012 ? 250 : backoff(this.attempt);
    const wait = Math.max(base / 2 + Math.random() * base, this.retryAfter);
    this.retryAfter = 0;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect(this.lang);
    }, wait);
  }

  /** Join a room again after a reconnect, as a request whose answer is handled here. */
  #rejoin(room, tries = 0) {
    const state = this.rooms.get(room);
    if (!state || !this.welcomed) return;
    const frame = this.#joinFrame(room, state);
    this.rejoins.set(frame.id, { room, tries });
    this.#send(frame);
  }

  #rejoined(frame) {
    const { room, tries } = this.rejoins.get(frame.id);
    this.rejoins.delete(frame.id);
    const state = this.rooms.get(room);
    if (!state) return; // left meanwhile
    if (frame.type === "joined") {
      // A `since` beyond the room's last event (another history): the room's number is ours,
      // else every new event would be dropped as already seen.
      if (typeof frame.seq === "number" && frame.seq < state.lastSeq) state.lastSeq = frame.seq;
      this.#emit("joined", frame);
      this.#emit("rejoined", frame);
      return;
    }
    if (frame.type !== "error") return;
    if (REJOIN_RETRY.has(frame.code)) {
      const ws = this.ws;
      const wait = Math.max((frame.retry_after ?? 0) * 1000, backoff(tries) / 2 + Math.random() * backoff(tries) / 2);
      this.#emit("rejoin_waiting", { room, code: frame.code, wait });
      setTimeout(() => { if (this.ws === ws) this.#rejoin(room, tries + 1); }, wait);
      return;
    }
    // Refused for good (the session closed meanwhile, banned, ...): not tried again.
    this.rooms.delete(room);
    this.#emit("rejoin_failed", { room, code: frame.code, error: frame });
  }

  #joinFrame(room, state) {
    const frame = { type: "join", room, id: `j${this.nextId++}` };
    if (state.lastSeq > 0) frame.since = state.lastSeq;
    if (state.rules) frame.rules = state.rules; // the ground rules' version accepted
    return frame;
  }

  #send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.welcomed) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /** Send a frame that expects an answer; the "answer" event echoes it. */
  request(frame) {
    const withId = { ...frame, id: `c${this.nextId++}` };
    this.#dispatch({ frame: withId, at: Date.now() });
    return withId.id;
  }

  /** Send an unanswered message again with the same id: the server stores it at most once. */
  resend(id, frame) {
    this.#resend({ frame: { ...frame, id }, at: Date.now() });
  }

  #resend(entry) {
    if (Date.now() - entry.at >= RESEND_WITHIN_MS) {
      this.#emit("answer", { request: entry.frame, answer: { type: "error", code: "unavailable" } });
      return;
    }
    this.#dispatch(entry);
  }

  #dispatch(entry) {
    const frame = entry.frame;
    this.pending.set(frame.id, entry);
    if (!this.welcomed && this.ws && this.ws.readyState <= WebSocket.OPEN && !this.stopped) {
      this.queued.push(frame); // still connecting: goes out once the server has said welcome
    } else if (this.#send(frame)) {
      // on its way
    } else if (frame.type === "send" && !this.stopped) {
      this.pending.delete(frame.id); // offline between attempts: the outbox sends it on reconnect
      this.outbox.set(frame.id, entry);
      // After the caller has its id back (it files the request under it).
      queueMicrotask(() => this.#emit("waiting", { request: frame }));
    } else {
      this.pending.delete(frame.id);
      queueMicrotask(() => this.#emit("answer",
        { request: frame, answer: { type: "error", code: "unavailable" } }));
    }
  }

  /** `rules`: the version of the room's ground rules the person read and accepted. */
  join(room, name, hidden = false, rules = null) {
    this.rooms.set(room, { lastSeq: 0, rules });
    const frame = { type: "join", room };
    if (name) frame.name = name;
    if (hidden) frame.hidden = true;
    if (rules) frame.rules = rules;
    return this.request(frame);
  }

  leave(room) {
    this.rooms.delete(room);
    this.request({ type: "leave", room });
  }

  say(room, text, extra = {}) {
    return this.request({ type: "send", room, text, ...extra });
  }

  typing(room) {
    this.#send({ type: "typing", room });
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }
}
