// The protocol client: one WebSocket, automatic reconnection with resume (docs/protocol.md).
const TOKEN_KEY = "vt.token";

export class ChatClient extends EventTarget {
  /** useToken: false for staff pages: the session cookie says who they are, and a staff
   * browser must not carry (or make) a participant's identity. */
  constructor({ useToken = true } = {}) {
    super();
    this.useToken = useToken;
    this.ws = null;
    this.lang = "fi";
    this.rooms = new Map(); // room -> { lastSeq, name }
    this.pending = new Map(); // frame id -> { frame, state }
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
      if (wasReconnect) this.#emit("reconnected", {});
      return;
    }
    if (frame.type === "error" && frame.code === "invalid_token") {
      localStorage.removeItem(TOKEN_KEY); // a forgotten identity: start afresh
      this.ws.close();
      return;
    }
    if (typeof frame.seq === "number" && frame.room && this.rooms.has(frame.room)
        && !["joined", "synced", "ack"].includes(frame.type)) {
      const state = this.rooms.get(frame.room);
      if (frame.seq <= state.lastSeq) return; // already shown: no duplicates
      state.lastSeq = frame.seq;
    }
    if (frame.type === "left" && !frame.id) this.rooms.delete(frame.room); // e.g. a session closed
    if (frame.id && this.pending.has(frame.id)) {
      const entry = this.pending.get(frame.id);
      if (frame.type !== "error" || frame.code !== "unavailable") this.pending.delete(frame.id);
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
    this.pending.set(withId.id, { frame: withId });
    if (!this.welcomed && this.ws && this.ws.readyState <= WebSocket.OPEN && !this.stopped) {
      this.queued.push(withId); // still connecting: goes out once the server has said welcome
    } else if (!this.#send(withId)) {
      this.pending.delete(withId.id);
      this.#emit("answer", { request: withId, answer: { type: "error", code: "unavailable" } });
    }
    return withId.id;
  }

  join(room, name, hidden = false) {
    this.rooms.set(room, { lastSeq: 0 });
    const frame = { type: "join", room };
    if (name) frame.name = name;
    if (hidden) frame.hidden = true;
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
