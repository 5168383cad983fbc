// live.js: the terminal's live event stream, reusable by every live page.
//
//   import { connectLive } from "/static/js/live.js";
//   const live = connectLive({ terminalId: 1, seq: snapshotSeq,
//                              onEvent: (e) => ..., onStatus: (s) => ..., onResync: () => ... });
//
// The page renders a snapshot that reflects every event up to `seq`; this module then delivers
// each later event exactly once and in seq order. It connects to /ws/terminal/<id>/, answers
// missed heartbeats by reconnecting with exponential back-off and full jitter, detects gaps
// (an event, heartbeat or hello whose seq is ahead of what it has) and fills them by replaying
// GET /api/v1/events/?after=<seq>. When the gap is too large to replay, or replay fails, it
// calls onResync() so the page can reload its snapshot (and then calls resetSeq).
//
// Message types from the server: hello {seq}, hb {seq}, pong {seq}, event {seq, topic,
// event_type, payload, ts}, skip {seq} (an event of another line that this user may not see).
// onEvent receives every event in the replay endpoint's shape: {seq, topic, type, payload, ts}.

const DEFAULTS = {
  replayUrl: "/api/v1/events/",
  heartbeatTimeoutMs: 45000,
  maxBackoffMs: 30000,
  baseBackoffMs: 500,
  maxReplay: 5000,
};

export function connectLive(options) {
  const opt = { ...DEFAULTS, ...options };
  const state = {
    seq: Number(opt.seq) || 0,
    status: "connecting",
    ws: null,
    attempt: 0,
    buffer: new Map(),
    replaying: false,
    closed: false,
    watchdog: null,
    reconnectTimer: null,
    received: 0,
  };
  window.__live = state; // for tests and for the curious

  function setStatus(status) {
    state.status = status;
    if (opt.onStatus) opt.onStatus(status);
  }

  function url() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    return `${proto}://${location.host}/ws/terminal/${opt.terminalId}/`;
  }

  function armWatchdog() {
    clearTimeout(state.watchdog);
    state.watchdog = setTimeout(() => {
      // Two heartbeats missed: the socket is dead even if the browser has not noticed.
      if (state.ws) state.ws.close(4000, "heartbeat timeout");
    }, opt.heartbeatTimeoutMs);
  }

  function connect() {
    if (state.closed) return;
    setStatus("connecting");
    const ws = new WebSocket(url());
    state.ws = ws;
    ws.onopen = () => {
      state.attempt = 0;
      armWatchdog();
    };
    ws.onmessage = (msg) => {
      armWatchdog();
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      handle(data);
    };
    ws.onclose = (ev) => {
      clearTimeout(state.watchdog);
      if (state.ws === ws) state.ws = null;
      if (state.closed) return;
      setStatus("offline");
      if (ev.code === 4401 || ev.code === 4403) {
        // Not signed in or no access: reconnecting will not help; let the page decide.
        if (opt.onDenied) opt.onDenied(ev.code);
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    const cap = Math.min(opt.maxBackoffMs, opt.baseBackoffMs * 2 ** state.attempt);
    const delay = Math.random() * cap; // full jitter
    state.attempt += 1;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function handle(data) {
    switch (data.type) {
      case "hello":
      case "hb":
      case "pong":
        if (data.type === "hello") setStatus("live");
        if (data.seq > state.seq) replay();
        return;
      case "event":
      case "skip":
        state.received += 1;
        if (data.seq <= state.seq) return; // already applied (duplicate or replayed)
        state.buffer.set(data.seq, fromMessage(data));
        if (state.replaying) return;
        if (data.seq === state.seq + 1) drain();
        else replay();
        return;
      default:
        return;
    }
  }

  // A message's `type` is its kind ("event"), so the event's own type travels as `event_type`.
  function fromMessage(data) {
    if (data.type === "skip") return { seq: data.seq, skip: true };
    const { event_type: eventType, type: _kind, ...rest } = data;
    return { ...rest, type: eventType };
  }

  function apply(data) {
    state.seq = data.seq;
    if (!data.skip && opt.onEvent) {
      try {
        opt.onEvent(data);
      } catch (err) {
        console.error("live.js onEvent failed", err);
      }
    }
  }

  function drain() {
    while (state.buffer.has(state.seq + 1)) {
      const next = state.buffer.get(state.seq + 1);
      state.buffer.delete(state.seq + 1);
      apply(next);
    }
    for (const seq of state.buffer.keys()) if (seq <= state.seq) state.buffer.delete(seq);
  }

  async function replay() {
    if (state.replaying) return;
    state.replaying = true;
    setStatus("replaying");
    try {
      let fetched = 0;
      for (;;) {
        const resp = await fetch(`${opt.replayUrl}?after=${state.seq}&terminal=${opt.terminalId}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!resp.ok) throw new Error(`replay answered ${resp.status}`);
        const page = await resp.json();
        for (const e of page.results) {
          if (e.seq > state.seq) {
            state.buffer.delete(e.seq);
            apply(e);
          }
        }
        // Events up to last_seq that are not in results are not ours to see: skip past them.
        if (page.last_seq > state.seq && !page.has_more) state.seq = page.last_seq;
        fetched += page.results.length;
        if (!page.has_more) break;
        if (fetched > opt.maxReplay) throw new Error("gap too large to replay");
      }
      drain();
      setStatus(state.ws && state.ws.readyState === WebSocket.OPEN ? "live" : "offline");
    } catch (err) {
      console.warn("live.js: replay failed, asking the page to reload its snapshot", err);
      state.buffer.clear();
      if (opt.onResync) opt.onResync();
    } finally {
      state.replaying = false;
    }
    // Something may have arrived ahead of us while we replayed.
    if ([...state.buffer.keys()].some((s) => s > state.seq + 1)) replay();
  }

  // Back online (a laptop wakes, Wi-Fi returns): reconnect now rather than after the back-off.
  function onOnline() {
    if (state.closed || state.ws) return;
    clearTimeout(state.reconnectTimer);
    state.attempt = 0;
    connect();
  }
  window.addEventListener("online", onOnline);

  connect();

  return {
    get seq() {
      return state.seq;
    },
    get status() {
      return state.status;
    },
    /** After reloading a snapshot, continue from its seq. */
    resetSeq(seq) {
      state.seq = Number(seq);
      drain();
    },
    close() {
      state.closed = true;
      window.removeEventListener("online", onOnline);
      clearTimeout(state.watchdog);
      clearTimeout(state.reconnectTimer);
      if (state.ws) state.ws.close(1000, "closed by page");
    },
  };
}
