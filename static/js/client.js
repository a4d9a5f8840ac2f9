// The protocol client: one WebSocket, automatic reconnection with resume (docs/protocol.md).
const TOKEN_KEY = "vt.token";
// The server recognises a send retried with the same id and text for 5 minutes and answers it
// with the first ack, so a message whose answer was lost can be sent again without a double.
// Past this age it is not sent again on its own: the person decides (a retry could double it).
const RESEND_WITHIN_MS = 4 * 60 * 1000;
// Frames with a room and a numeric `seq` that are not stream events (docs/protocol.md).
const NOT_EVENTS = new Set(["joined", "synced", "ack", "hold_released"]);

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
  }

  connect(lang) {
    this.lang = lang;
    this.stopped = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws = ws;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", v: 1, lang: this.lang };
      const token = this.useToken ? localStorage.getItem(TOKEN_KEY) : null;
      if (token) hello.token = token; // in the first frame, never in the URL
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener("message", (e) => this.#receive(JSON.parse(e.data)));
    ws.addEventListener("close", (e) => this.#closed(e.code));
  }

  /** Forget this device's identity (the pseudonym will not come back). */
  static forget() {
    localStorage.removeItem(TOKEN_KEY);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #receive(frame) {
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
      for (const [room, state] of this.rooms) {
        if (!joining.has(room)) this.#send(this.#joinFrame(room, state));
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
    this.welcomed = false;
    this.queued = [];
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
    if (code === 1008) { this.#emit("refused", { code }); return; }
    this.attempt += 1;
    this.#emit("reconnecting", { attempt: this.attempt });
    // Backoff with jitter, so that a restarted server is not hit by everyone at once.
    const base = code === 1012 ? 250 : Math.min(30000, 500 * 2 ** this.attempt);
    setTimeout(() => this.connect(this.lang), base / 2 + Math.random() * base);
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
