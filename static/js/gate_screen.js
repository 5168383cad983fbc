// gate_screen.js: the live gate screen (terminal staff).
//
// Live (DESIGN.md §5.6): the page loads GET /api/v1/gate/screen/ (lanes, the pre-gate queue,
// the truck visits of the last 24 hours and every truck still inside, with the event seq it
// reflects), then follows the terminal's events through live.js, which delivers each later
// event once and in seq order, replays gaps from /api/v1/events/ and asks for a new snapshot
// when a gap is too large. Events that arrive while a snapshot loads are kept and applied after
// it. Truck events (truck.gate_in, truck.refused, truck.gate_out) carry the whole visit, so
// applying one the snapshot already has is harmless.
//
// Everything else is derived from the visits: the truck at each lane, trucks in the terminal
// with their turn time ticking, the last refusals with their reasons, the last departures and
// the counters. Times tick once a second against the server's clock (the snapshot's
// generated_at corrects the browser's clock skew).

import { connectLive } from "./live.js";

const $ = (id) => document.getElementById(id);
const root = $("gate");
const LANE_IDLE_MS = 10 * 60 * 1000; // a lane shows its last truck for ten minutes
const LIST_LENGTH = 10;

const state = {
  terminal: Number(root.dataset.terminal) || null,
  seq: 0,
  status: "connecting",
  loading: false,
  pending: [],
  skewMs: 0,
  timezone: "UTC",
  lanes: [],
  queue: new Map(), // appointment id -> {id, reference, truck_plate, transaction_type, starts_at, arrived_at}
  visits: new Map(), // visit id -> visit (the truck.* payload shape)
  fresh: new Set(), // visit ids / "q<id>" changed by the last event: flashed once
  applied: 0,
};
let live = null;

// --- helpers ------------------------------------------------------------------------------------

function now() {
  return Date.now() + state.skewMs;
}

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function getJson(url) {
  const resp = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrf() },
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = new Error((data && data.message) || `${resp.status} ${resp.statusText}`);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

const timeFmt = () =>
  new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZone: state.timezone,
  });

function clockTime(iso) {
  return iso ? timeFmt().format(new Date(iso)) : "–";
}

const TX_LABEL = {
  drop_off_export: "Drop-off export",
  pick_up_import: "Pick-up import",
  empty_return: "Empty return",
  empty_pick_up: "Empty pick-up",
};

function say(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

const CONN_TEXT = {
  connecting: "Connecting…",
  replaying: "Catching up…",
  offline: "Offline: reconnecting",
  denied: "No access to live events",
};

function setConn(status, text) {
  state.status = status;
  const c = $("conn");
  c.dataset.state = status;
  c.textContent = text || (status === "live" ? `Live · seq ${state.seq}` : CONN_TEXT[status] || status);
  const dot = document.querySelector(".live-status");
  if (dot) dot.dataset.state = status === "denied" ? "offline" : status;
}

// --- snapshot and events ------------------------------------------------------------------------

function loadSnapshotInto(snap) {
  state.seq = snap.seq;
  state.skewMs = (Date.parse(snap.generated_at) || Date.now()) - Date.now();
  state.timezone = snap.timezone || "UTC";
  state.lanes = snap.lanes;
  state.queue = new Map(snap.queue.map((a) => [a.id, a]));
  state.visits = new Map(snap.visits.map((v) => [v.id, v]));
}

async function loadSnapshot() {
  state.loading = true;
  state.pending = [];
  try {
    const snap = await getJson("/api/v1/gate/screen/");
    loadSnapshotInto(snap);
    const later = state.pending.filter((e) => e.seq > snap.seq).sort((a, b) => a.seq - b.seq);
    for (const e of later) {
      applyEvent(e);
      state.seq = e.seq;
    }
    state.pending = [];
    render();
    return state.seq;
  } finally {
    state.loading = false;
  }
}

function applyEvent(e) {
  if (e.topic !== "gate") return;
  const p = e.payload || {};
  switch (e.type) {
    case "truck.gate_in":
    case "truck.refused":
    case "truck.gate_out": {
      const { by: _by, ...visit } = p;
      state.visits.set(visit.id, visit);
      state.fresh.add(visit.id);
      if (e.type === "truck.gate_in" && visit.appointment) {
        for (const [id, a] of state.queue) if (a.reference === visit.appointment) state.queue.delete(id);
      }
      break;
    }
    case "appointment.arrived":
      state.queue.set(p.id, {
        id: p.id,
        reference: p.reference,
        truck_plate: p.truck_plate,
        transaction_type: p.transaction_type,
        starts_at: p.starts_at,
        arrived_at: p.arrived_at,
      });
      state.fresh.add(`q${p.id}`);
      break;
    case "appointment.cancelled":
    case "appointment.no_show":
      state.queue.delete(p.id);
      break;
    default:
      return;
  }
  state.applied += 1;
}

function onEvent(e) {
  if (state.loading) {
    state.pending.push(e);
    return;
  }
  if (e.seq <= state.seq) return;
  applyEvent(e);
  state.seq = e.seq;
  if (state.status === "live") setConn("live");
  render();
}

let resyncing = null;
function resync() {
  if (resyncing) return resyncing;
  resyncing = loadSnapshot()
    .then((seq) => {
      if (live) live.resetSeq(seq);
    })
    .catch((err) => say(`The gate could not be reloaded: ${err.message}`))
    .finally(() => {
      resyncing = null;
      setConn(live ? live.status : "offline");
    });
  return resyncing;
}

// --- derived views ------------------------------------------------------------------------------

function visitsSorted() {
  return [...state.visits.values()];
}

function laneOccupant(lane) {
  let best = null;
  for (const v of state.visits.values()) {
    const events = [];
    if (v.lane === lane.name) events.push({ at: Date.parse(v.gate_in_at), kind: "in" });
    if (v.out_lane === lane.name && v.gate_out_at) events.push({ at: Date.parse(v.gate_out_at), kind: "out" });
    for (const ev of events) if (!best || ev.at > best.at) best = { ...ev, visit: v };
  }
  return best;
}

function counters(t) {
  const hourStart = Math.floor(t / 3600000) * 3600000;
  const dayAgo = t - 24 * 3600000;
  let transactions = 0;
  let refusals = 0;
  let inside = 0;
  let turnSum = 0;
  let turnN = 0;
  let decisions = 0;
  let automatic = 0;
  for (const v of state.visits.values()) {
    const tin = Date.parse(v.gate_in_at);
    const tout = v.gate_out_at ? Date.parse(v.gate_out_at) : null;
    if (tin >= hourStart) transactions += 1;
    if (tout !== null && tout >= hourStart) transactions += 1;
    if (v.status === "refused" && tin >= hourStart) refusals += 1;
    if (v.status === "accepted") inside += 1;
    if (tout !== null && tout >= dayAgo && v.turn_time_s !== null) {
      turnSum += v.turn_time_s;
      turnN += 1;
    }
    if (tin >= dayAgo) {
      decisions += 1;
      if (v.decided_by === "system") automatic += 1;
    }
    if (tout !== null && tout >= dayAgo) {
      decisions += 1;
      if (v.out_decided_by === "system") automatic += 1;
    }
  }
  return {
    transactions,
    refusals,
    inside,
    queued: state.queue.size,
    turn: turnN ? duration(turnSum / turnN) : "–",
    auto: decisions ? `${Math.round((100 * automatic) / decisions)} %` : "–",
  };
}

// --- rendering ----------------------------------------------------------------------------------

function setValue(id, value) {
  const node = $(id);
  const text = String(value);
  if (node.textContent !== text) {
    node.textContent = text;
    node.classList.remove("changed");
    void node.offsetWidth;
    node.classList.add("changed");
    setTimeout(() => node.classList.remove("changed"), 700);
  }
}

function renderCounters(t) {
  const c = counters(t);
  setValue("c-transactions", c.transactions);
  setValue("c-refusals", c.refusals);
  setValue("c-turn", c.turn);
  setValue("c-inside", c.inside);
  setValue("c-queued", c.queued);
  setValue("c-auto", c.auto);
}

const DIRECTION = { in: "in", out: "out", both: "in/out" };

function renderLanes(t) {
  const box = $("lanes");
  box.replaceChildren();
  if (!state.lanes.length) {
    box.append(el("p", { class: "empty" }, "No gate lanes yet."));
    return;
  }
  for (const lane of state.lanes) {
    const occ = laneOccupant(lane);
    let laneState = "idle";
    let plate = "";
    let what = lane.is_open ? "free" : "closed";
    let ago = "";
    if (!lane.is_open) laneState = "closed";
    else if (occ && t - occ.at < LANE_IDLE_MS) {
      const v = occ.visit;
      plate = v.truck_plate;
      ago = `${duration((t - occ.at) / 1000)} ago`;
      if (occ.kind === "out") {
        laneState = "departed";
        what = `gate-out · turn ${duration(v.turn_time_s || 0)}`;
      } else if (v.status === "refused") {
        laneState = "refused";
        what = `refused: ${v.reasons.map((r) => r.replaceAll("_", " ")).join(", ")}`;
      } else {
        laneState = "accepted";
        what = `gate-in accepted · ${v.containers.join(", ") || "no box"}`;
      }
    }
    const fresh = occ && state.fresh.has(occ.visit.id);
    box.append(
      el(
        "div",
        { class: `gs-lane${fresh ? " new" : ""}`, dataset: { lane: lane.name, state: laneState } },
        el(
          "b",
          {},
          lane.name,
          " ",
          el("span", { class: "dir" }, `${DIRECTION[lane.direction] || lane.direction}${lane.has_ocr ? " · OCR" : " · manual"}`),
        ),
        el("span", { class: "plate" }, plate),
        el("div", { class: "what" }, what),
        el("div", { class: "dir ago" }, ago),
      ),
    );
  }
}

function waitClass(seconds) {
  if (seconds >= 3600) return "num very-long";
  if (seconds >= 1800) return "num long";
  return "num";
}

function renderQueue(t) {
  const rows = [...state.queue.values()].sort((a, b) => Date.parse(a.arrived_at) - Date.parse(b.arrived_at));
  const body = $("queue");
  body.replaceChildren(
    ...rows.map((a) => {
      const wait = (t - Date.parse(a.arrived_at)) / 1000;
      return el(
        "tr",
        { dataset: { appointment: a.reference }, class: state.fresh.has(`q${a.id}`) ? "new" : null },
        el("td", { class: "plate-cell" }, a.truck_plate || "–"),
        el("td", {}, a.reference),
        el("td", {}, TX_LABEL[a.transaction_type] || a.transaction_type),
        el("td", {}, clockTime(a.starts_at).slice(0, 5)),
        el("td", { class: waitClass(wait), dataset: { since: a.arrived_at } }, duration(wait)),
      );
    }),
  );
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No truck waiting.")));
}

function renderInside(t) {
  const rows = visitsSorted()
    .filter((v) => v.status === "accepted")
    .sort((a, b) => Date.parse(a.gate_in_at) - Date.parse(b.gate_in_at));
  const body = $("inside");
  body.replaceChildren(
    ...rows.map((v) => {
      const turn = (t - Date.parse(v.gate_in_at)) / 1000;
      return el(
        "tr",
        { dataset: { visit: v.id, plate: v.truck_plate }, class: state.fresh.has(v.id) ? "new" : null },
        el("td", { class: "plate-cell" }, v.truck_plate),
        el("td", {}, v.containers.join(", ") || "–"),
        el("td", {}, v.lane, v.decided_by === "clerk" ? el("span", { class: "tag" }, "clerk") : null),
        el("td", {}, clockTime(v.gate_in_at)),
        el("td", { class: `turn ${waitClass(turn)}`, dataset: { since: v.gate_in_at } }, duration(turn)),
      );
    }),
  );
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No truck in the terminal.")));
}

function renderRefusals() {
  const rows = visitsSorted()
    .filter((v) => v.status === "refused")
    .sort((a, b) => Date.parse(b.gate_in_at) - Date.parse(a.gate_in_at) || b.id - a.id)
    .slice(0, LIST_LENGTH);
  const list = $("refusals");
  list.replaceChildren(
    ...rows.map((v) =>
      el(
        "li",
        { dataset: { visit: v.id, plate: v.truck_plate }, class: state.fresh.has(v.id) ? "new" : null },
        el(
          "div",
          { class: "head" },
          el("span", { class: "plate-cell" }, v.truck_plate),
          el("span", {}, `lane ${v.lane}`),
          el("span", {}, v.containers.join(", ")),
          el("time", { datetime: v.gate_in_at }, clockTime(v.gate_in_at)),
        ),
        el("ul", {}, ...(v.reason_messages || v.reasons).map((r) => el("li", {}, r))),
      ),
    ),
  );
  if (!rows.length) list.append(el("li", { class: "empty" }, "No refusals in the last 24 hours."));
}

function renderDeparted() {
  const rows = visitsSorted()
    .filter((v) => v.status === "departed")
    .sort((a, b) => Date.parse(b.gate_out_at) - Date.parse(a.gate_out_at) || b.id - a.id)
    .slice(0, LIST_LENGTH);
  const body = $("departed");
  body.replaceChildren(
    ...rows.map((v) =>
      el(
        "tr",
        { dataset: { visit: v.id, plate: v.truck_plate }, class: state.fresh.has(v.id) ? "new" : null },
        el("td", { class: "plate-cell" }, v.truck_plate),
        el("td", {}, v.containers.join(", ") || "–"),
        el("td", {}, `${clockTime(v.gate_out_at)} ${v.out_lane || ""}`),
        el("td", { class: "num turn-time" }, duration(v.turn_time_s || 0)),
        el("td", {}, el("a", { href: `/api/v1/gate/truck-visits/${v.id}/eir/`, target: "_blank" }, "EIR")),
      ),
    ),
  );
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No departures in the last 24 hours.")));
}

function renderOutChoices() {
  const select = document.querySelector("#manual-out select[name=visit]");
  if (!select) return;
  const chosen = select.value;
  const rows = visitsSorted()
    .filter((v) => v.status === "accepted")
    .sort((a, b) => a.truck_plate.localeCompare(b.truck_plate));
  select.replaceChildren(...rows.map((v) => el("option", { value: v.id }, v.truck_plate)));
  if (rows.some((v) => String(v.id) === chosen)) select.value = chosen;
  select.closest("form").querySelector("button").disabled = !rows.length;
}

function render() {
  const t = now();
  renderOutChoices();
  renderCounters(t);
  renderLanes(t);
  renderQueue(t);
  renderInside(t);
  renderRefusals();
  renderDeparted();
  state.fresh.clear();
}

/** Once a second: the clock, waiting and turn times, lane ages and hour-based counters. */
function tick() {
  const t = now();
  $("clock").textContent = timeFmt().format(new Date(t));
  for (const cell of root.querySelectorAll("td[data-since]")) {
    const seconds = (t - Date.parse(cell.dataset.since)) / 1000;
    cell.textContent = duration(seconds);
    cell.className = `${cell.classList.contains("turn") ? "turn " : ""}${waitClass(seconds)}`;
  }
  renderCounters(t);
  if (Math.floor(t / 1000) % 5 === 0) renderLanes(t);
}

// --- the clerk's manual entry -------------------------------------------------------------------

/** One key per submission; crypto.randomUUID needs a secure context (plain-http LAN hosts lack it). */
function idempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `gate-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function postJson(url, body) {
  const resp = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRFToken": csrf(),
      "Idempotency-Key": idempotencyKey(),
    },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  return { ok: resp.ok, status: resp.status, data };
}

function clerkSays(text, ok) {
  const p = $("clerk-result");
  p.textContent = text;
  p.className = `hint ${ok ? "ok" : "bad"}`;
}

function wireClerk() {
  const formIn = $("manual-in");
  const formOut = $("manual-out");
  if (!formIn || !formOut) return;
  formIn.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(formIn);
    const container = {
      container_number: String(f.get("container_number")).trim().toUpperCase(),
      seals: String(f.get("seals") || "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
      pin: String(f.get("pin") || "").trim(),
    };
    const button = formIn.querySelector("button");
    button.disabled = true;
    try {
      const r = await postJson("/api/v1/gate/truck-visits/gate-in/", {
        lane: f.get("lane"),
        truck_plate: String(f.get("truck_plate")).trim(),
        appointment: String(f.get("appointment") || "").trim(),
        containers: [container],
        manual: true,
      });
      if (!r.ok) clerkSays((r.data && r.data.message) || `Error ${r.status}`, false);
      else if (r.data.status === "refused")
        clerkSays(`${r.data.truck_plate} refused: ${r.data.reasons.map((x) => x.message).join(" ")}`, false);
      else {
        const where = r.data.transactions.map((x) => `${x.container_number} → ${x.yard_position || "no position yet"}`);
        clerkSays(`${r.data.truck_plate} accepted: ${where.join(", ")}`, true);
        formIn.reset();
      }
    } catch (err) {
      clerkSays(`Not sent: ${err.message}`, false);
    } finally {
      button.disabled = false;
    }
  });
  formOut.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(formOut);
    const button = formOut.querySelector("button");
    button.disabled = true;
    try {
      const r = await postJson(`/api/v1/gate/truck-visits/${f.get("visit")}/gate-out/`, {
        lane: f.get("lane"),
        manual: true,
      });
      if (!r.ok) clerkSays((r.data && r.data.message) || `Error ${r.status}`, false);
      else clerkSays(`${r.data.truck_plate} out, turn time ${duration(r.data.turn_time_s)}, ${r.data.eir_number}`, true);
    } catch (err) {
      clerkSays(`Not sent: ${err.message}`, false);
    } finally {
      button.disabled = false;
    }
  });
}

window.__gate = {
  state,
  reload: () => resync(),
  counters: () => counters(now()),
};

// --- start --------------------------------------------------------------------------------------

async function start() {
  if (!state.terminal) {
    setConn("offline", "No terminal");
    say("There is no terminal yet: load the demo (manage.py seed_demo) or create one.");
    return;
  }
  try {
    await loadSnapshot();
  } catch (err) {
    say(`The gate could not be loaded: ${err.message}`);
    setConn("offline", "Not loaded");
    return;
  }
  wireClerk();
  setInterval(tick, 1000);
  tick();
  live = connectLive({
    terminalId: state.terminal,
    seq: state.seq,
    onEvent,
    onStatus: (s) => setConn(s),
    onResync: () => resync(),
    onDenied: () => setConn("denied"),
  });
}

start();
