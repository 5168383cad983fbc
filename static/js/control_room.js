// control_room.js: the live control room (quay view, crane queues, equipment, alarms).
//
// The page loads GET /api/v1/operations/control-room/ with its seq, then follows the terminal's
// events through live.js, which delivers each later event once and in order, detects gaps and
// replays them from /api/v1/events/ (DESIGN.md §5.6). A completed move carries its queue's
// absolute done/total, so crane counters are right after any replay; vessel progress and the
// moves of the last hour are counted from the completions. Events that change the shape of the
// screen (queues built or resequenced, work generated or cancelled, a visit's phase, a berth plan
// published) reload the snapshot; events that arrive meanwhile are applied on top.
//
// Stable hooks for tests and the simulator: each crane's counter is
// `[data-crane="<name>"][data-done="<n>"][data-total="<n>"]`, each vessel's progress
// `[data-visit="<id>"][data-done][data-total]`; window.controlRoom is a read-only view.
import { connectLive } from "./live.js";

const root = document.getElementById("control-room");
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const HOUR_MS = 3600_000;
const MIN_RATE_HOURS = 0.25; // as the snapshot: no berth rate over less than a quarter of an hour
const PAD = { left: 28, right: 28 };
const ROW_H = 230; // px per quay
const QUAY_Y = 176; // the quay edge (px from the top of a quay's drawing)
const PROBLEMS = {
  blocked_slot: "Target slot blocked",
  damaged_box: "Damaged box",
  wrong_box: "Wrong box at the position",
  other: "Other",
};
const KINDS = {
  quay_crane: "Quay crane",
  rtg: "RTG",
  rmg: "RMG",
  straddle: "Straddle carrier",
  truck: "Terminal truck",
  igv: "IGV / AGV",
};
const RESYNC_TYPES = new Set(["crane_queues.built", "crane_queue.resequenced", "vessel_visit.phase_changed"]);
// These change a screen's totals only when they are about a call at berth (a gate's receival
// or delivery order does not touch the quay).
const RESYNC_IF_AT_BERTH = new Set(["work_orders.generated", "work_order.created", "work_order.cancelled"]);

const state = {
  terminal: Number(root.dataset.terminal) || null,
  seq: 0,
  loading: false,
  pending: [],
  ready: false,
  status: "connecting",
  wasLive: false,
  quays: [],
  vessels: new Map(), // visit id → vessel
  cranes: new Map(), // crane name → crane
  queueCrane: new Map(), // crane queue id → crane name
  equipment: new Map(), // equipment id → machine (not quay cranes)
  craneOfEquipment: new Map(), // equipment id → crane name
  jobs: new Map(), // work order id → payload, as last seen
  alarms: new Map(), // alarm id → alarm
  selected: null,
  applied: [],
};
let live = null;

// --- helpers -----------------------------------------------------------------------------------

async function getJson(url) {
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!resp.ok) throw new Error(`${url} answered ${resp.status}`);
  return resp.json();
}

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function say(text) {
  const m = $("message");
  m.textContent = text || "";
  m.hidden = !text;
}

const pad2 = (n) => String(n).padStart(2, "0");
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }) : "");

function where(p) {
  if (!p) return "";
  if (p.place === "truck") return `truck ${p.truck || ""}${p.lane ? ` (${p.lane})` : ""}`;
  if (p.place === "vessel") return `bay ${pad2(p.bay)} row ${pad2(p.row)} tier ${pad2(p.tier)}`;
  if (!p.block) return "yard (slot to be chosen)";
  return p.bay ? `${p.block}.${pad2(p.bay)}.${p.row}.${p.tier}` : p.block;
}

function jobText(j) {
  if (!j) return "";
  return `${j.kind} ${j.container} · ${where(j.from)} → ${where(j.to)}`;
}

function moveBay(j) {
  if (!j) return null;
  if (j.from && j.from.place === "vessel") return j.from.bay;
  if (j.to && j.to.place === "vessel") return j.to.bay;
  return null;
}

function rate(done, first, last) {
  if (!first || !last) return null;
  const hours = (Date.parse(last) - Date.parse(first)) / HOUR_MS;
  return hours >= MIN_RATE_HOURS ? Math.round((done / hours) * 10) / 10 : null;
}

function movesLastHour(crane) {
  const since = Date.now() - HOUR_MS;
  crane.recent = crane.recent.filter((t) => Date.parse(t) >= since);
  return crane.recent.length;
}

// --- snapshot ----------------------------------------------------------------------------------

function loadSnapshotInto(snap) {
  state.seq = snap.seq;
  state.quays = snap.quays;
  state.vessels = new Map(snap.vessels.map((v) => [v.vessel_visit, v]));
  state.cranes = new Map();
  state.queueCrane = new Map();
  state.craneOfEquipment = new Map();
  state.jobs = new Map();
  for (const c of snap.cranes) {
    state.cranes.set(c.name, c);
    if (c.crane_queue) state.queueCrane.set(c.crane_queue, c.name);
    if (c.equipment) state.craneOfEquipment.set(c.equipment, c.name);
    for (const j of [c.job, ...c.queue]) if (j) state.jobs.set(j.work_order, j);
  }
  state.equipment = new Map(snap.equipment.map((e) => [e.equipment, e]));
  for (const e of snap.equipment) if (e.job) state.jobs.set(e.job.work_order, e.job);
  state.alarms = new Map(snap.alarms.filter((a) => a.kind !== "crane_idle").map((a) => [a.id, a]));
  $("yard-link").href = snap.yard_map_url;
  if (state.selected && !state.cranes.has(state.selected)) state.selected = null;
}

async function loadSnapshot() {
  state.loading = true;
  state.pending = [];
  try {
    const snap = await getJson("/api/v1/operations/control-room/");
    loadSnapshotInto(snap);
    const later = state.pending.filter((e) => e.seq > snap.seq).sort((a, b) => a.seq - b.seq);
    state.loading = false;
    for (const e of later) if (e.seq > state.seq) apply(e);
    state.pending = [];
    render();
    return state.seq;
  } finally {
    state.loading = false;
  }
}

let resyncing = null;
let resyncTimer = null;
function resync() {
  if (resyncing) return resyncing;
  resyncing = loadSnapshot()
    .then((seq) => {
      if (live) live.resetSeq(seq);
    })
    .catch((err) => say(`The control room could not be reloaded: ${err.message}`))
    .finally(() => {
      resyncing = null;
      setConn(live ? live.status : "offline");
    });
  return resyncing;
}

/** Reload soon, once for a burst of shape-changing events. */
function resyncSoon() {
  clearTimeout(resyncTimer);
  resyncTimer = setTimeout(resync, 250);
}

// --- events ------------------------------------------------------------------------------------

function craneOfJob(p) {
  if (p.crane_queue && state.queueCrane.has(p.crane_queue)) return state.cranes.get(state.queueCrane.get(p.crane_queue));
  return null;
}

function setQueueItem(crane, p) {
  const i = crane.queue.findIndex((m) => m.work_order === p.work_order);
  if (i >= 0) crane.queue[i] = { ...crane.queue[i], ...p };
}

function onCompleted(p, ts) {
  const crane = craneOfJob(p);
  if (crane) {
    if (p.queue) {
      crane.done = p.queue.done;
      crane.total = p.queue.total;
    }
    const before = crane.queue.length;
    crane.queue = crane.queue.filter((m) => m.work_order !== p.work_order);
    crane.open = Math.max(0, crane.open - 1);
    if (crane.job && crane.job.work_order === p.work_order) crane.job = null;
    crane.recent.push(ts);
    const next = crane.queue[0];
    if (next && moveBay(next) !== null) crane.bay = moveBay(next);
    // The snapshot lists the next few moves only: fetch more when the list runs short.
    if (before > crane.queue.length && crane.queue.length < 3 && crane.open > crane.queue.length) resyncSoon();
  }
  const v = state.vessels.get(p.vessel_visit);
  if (v && v[p.kind]) {
    v[p.kind].done += 1;
    v.done += 1;
    if (!v.first_move_at) v.first_move_at = ts;
    v.last_move_at = ts;
    v.bmph = rate(v.done, v.first_move_at, v.last_move_at);
  }
  for (const e of state.equipment.values()) if (e.job && e.job.work_order === p.work_order) e.job = null;
  state.jobs.delete(p.work_order);
}

function onAssigned(p) {
  state.jobs.set(p.work_order, p);
  const crane = craneOfJob(p);
  if (crane) {
    setQueueItem(crane, p);
    const bay = moveBay(p);
    if (p.equipment === crane.equipment) {
      crane.job = p;
      if (bay !== null) crane.bay = bay;
    }
  }
  const machine = state.equipment.get(p.equipment);
  if (machine) machine.job = p;
}

function onProblem(p, e) {
  onAssigned({ ...p, equipment: null });
  const crane = craneOfJob(p);
  if (crane && crane.job && crane.job.work_order === p.work_order) crane.job = null;
  for (const m of state.equipment.values()) if (m.job && m.job.work_order === p.work_order) m.job = null;
  const kind = (p.problem && p.problem.kind) || "other";
  const note = p.problem && p.problem.note;
  const by = state.craneOfEquipment.get(p.equipment) || (state.equipment.get(p.equipment) || {}).name;
  state.alarms.set(`problem-wo-${p.work_order}-${e.seq}`, {
    id: `problem-wo-${p.work_order}-${e.seq}`,
    kind: "problem",
    severity: "error",
    at: e.ts,
    work_order: p.work_order,
    text: `${PROBLEMS[kind] || kind}: ${p.container} (order ${p.work_order}${by ? `, ${by}` : ""})${note ? ` — ${note}` : ""}`,
  });
}

function onReplanned(p) {
  for (const [id, a] of state.alarms) if (a.kind === "problem" && a.work_order === p.work_order) state.alarms.delete(id);
  const crane = craneOfJob(p);
  if (crane) setQueueItem(crane, p);
  state.jobs.set(p.work_order, p);
}

function onEquipment(p) {
  const job = p.job ? state.jobs.get(p.job) || { work_order: p.job } : null;
  const craneName = state.craneOfEquipment.get(p.equipment);
  if (craneName) {
    const crane = state.cranes.get(craneName);
    crane.state = p.state;
    crane.job = job;
    if (moveBay(job) !== null) crane.bay = moveBay(job);
    return;
  }
  const m = state.equipment.get(p.equipment);
  if (!m) return resyncSoon(); // new equipment
  m.state = p.state;
  m.job = job;
  m.where = p.block && p.bay ? `${p.block}.${pad2(p.bay)}` : m.where;
}

function eventAlarm(e) {
  const p = e.payload;
  if (e.type === "customs.alarm") {
    const what = p.container || p.lot_reference || "a bulk lot";
    return {
      id: `event-${e.seq}`, kind: e.type, severity: "error", at: e.ts,
      text: `Customs ${p.kind || "sensor"} alarm on ${what}${p.alarm_reason ? `: ${p.alarm_reason}` : ""}`,
    };
  }
  const messages = p.reason_messages || p.reasons || [];
  return {
    id: `event-${e.seq}`, kind: e.type, severity: "warning", at: e.ts,
    text: `Gate refused truck ${p.truck_plate || ""}`.trim() + (messages.length ? `: ${messages[0]}` : ""),
  };
}

function apply(e) {
  state.seq = e.seq;
  const p = e.payload || {};
  if (RESYNC_TYPES.has(e.type) || (e.topic === "berthing" && /publish/.test(e.type))) {
    resyncSoon();
    return;
  }
  if (RESYNC_IF_AT_BERTH.has(e.type)) {
    if (state.vessels.has(p.vessel_visit)) resyncSoon();
    else if (e.type === "work_order.cancelled") {
      for (const m of state.equipment.values()) if (m.job && m.job.work_order === p.work_order) m.job = null;
    }
    return;
  }
  switch (e.type) {
    case "work_order.completed":
      return onCompleted(p, e.ts);
    case "work_order.dispatched":
    case "work_order.accepted":
      return onAssigned(p);
    case "work_order.problem":
      return onProblem(p, e);
    case "work_order.replanned":
      return onReplanned(p);
    case "equipment.changed":
      return onEquipment(p);
    case "customs.alarm":
    case "truck.refused":
      state.alarms.set(`event-${e.seq}`, eventAlarm(e));
      return;
    default:
  }
}

let frame = null;
function onEvent(e) {
  if (state.loading) {
    state.pending.push(e);
    return;
  }
  if (e.seq <= state.seq) return;
  apply(e);
  state.applied.push({ seq: e.seq, type: e.type, at: Date.now() });
  if (state.applied.length > 200) state.applied.shift();
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = null;
      render();
    });
  }
}

// --- connection --------------------------------------------------------------------------------

const CONN_TEXT = {
  connecting: "Connecting…",
  replaying: "Catching up…",
  offline: "Offline: reconnecting…",
  denied: "No live access",
};

function setConn(status, text) {
  state.status = status;
  if (status === "live") state.wasLive = true;
  const c = $("conn");
  c.dataset.state = status;
  c.textContent = text || (status === "live" ? `Live · seq ${state.seq}` : CONN_TEXT[status] || status);
  const dot = document.querySelector(".live-status");
  if (dot) dot.dataset.state = status === "denied" ? "offline" : status;
  $("stale").hidden = !(state.wasLive && (status === "offline" || status === "connecting"));
}

// --- drawing -----------------------------------------------------------------------------------

function cranePosition(c) {
  const v = c.vessel_visit ? state.vessels.get(c.vessel_visit) : null;
  if (!v || c.bay === null || c.bay === undefined) return c.position_m;
  const span = Math.max(v.end_m - v.start_m, 1);
  return v.start_m + Math.round((span * (c.bay - 0.5)) / Math.max(v.bays, 1));
}

function drawQuay(quay, width) {
  const L = Math.max(quay.length_m, 1);
  const sx = (m) => PAD.left + ((width - PAD.left - PAD.right) * m) / L;
  const svg = el("svg:svg", {
    class: "cr-quay", width, height: ROW_H, viewBox: `0 0 ${width} ${ROW_H}`, "data-quay": quay.quay,
    role: "img", "aria-label": `Quay ${quay.name}, ${L} m`,
  });
  svg.append(el("svg:rect", { class: "water", x: 0, y: 0, width, height: QUAY_Y }));
  svg.append(el("svg:rect", { class: "apron", x: 0, y: QUAY_Y, width, height: ROW_H - QUAY_Y }));
  svg.append(el("svg:line", { class: "edge", x1: sx(0), x2: sx(L), y1: QUAY_Y, y2: QUAY_Y }));
  svg.append(el("svg:text", { class: "quay-name", x: 6, y: 16, text: `${quay.name} · ${L} m` }));
  const step = L > 1500 ? 100 : 50;
  for (let m = 0; m <= L; m += step) {
    const major = m % (step * 2) === 0;
    svg.append(el("svg:line", { class: "tick", x1: sx(m), x2: sx(m), y1: QUAY_Y, y2: QUAY_Y + (major ? 10 : 5) }));
    if (major) svg.append(el("svg:text", { class: "metre", x: sx(m), y: QUAY_Y + 22, text: `${m}` }));
  }
  for (const s of quay.sections) {
    svg.append(el("svg:line", { class: "section", x1: sx(s.start_m), x2: sx(s.start_m), y1: QUAY_Y, y2: ROW_H }));
    svg.append(el("svg:text", { class: "section-name", x: sx(s.start_m) + 4, y: ROW_H - 8, text: s.name }));
  }
  // Vessels: a hull at its berth, bow to the right; name, progress bar and counts.
  const hullTop = QUAY_Y - 62;
  for (const v of state.vessels.values()) {
    if (v.quay !== quay.quay) continue;
    const x0 = sx(v.start_m), x1 = sx(v.end_m), h = 52;
    const bow = Math.min(24, (x1 - x0) / 5);
    const g = el("svg:g", { class: "vessel", "data-visit": v.vessel_visit });
    g.append(el("svg:path", {
      class: "hull",
      d: `M${x0},${hullTop} L${x1 - bow},${hullTop} Q${x1},${hullTop + h / 2} ${x1 - bow},${hullTop + h} L${x0 + 4},${hullTop + h} L${x0},${hullTop + h - 8} Z`,
    }));
    const pct = v.total ? v.done / v.total : 0;
    const barW = Math.max(20, x1 - x0 - bow - 16);
    const wide = barW >= 250;
    g.append(el("svg:text", { class: "vessel-name", x: x0 + 8, y: hullTop + 17, text: wide || barW >= 170 ? `${v.vessel} · ${v.reference}` : v.vessel }));
    g.append(el("svg:rect", { class: "bar", x: x0 + 8, y: hullTop + 25, width: barW, height: 9, rx: 2 }));
    g.append(el("svg:rect", { class: "bar-done", x: x0 + 8, y: hullTop + 25, width: barW * pct, height: 9, rx: 2 }));
    g.append(el("svg:text", {
      class: "vessel-progress", x: x0 + 8, y: hullTop + 47,
      "data-visit": v.vessel_visit, "data-done": v.done, "data-total": v.total,
      text: wide
        ? `${v.done}/${v.total} moves · D ${v.discharge.done}/${v.discharge.total} · L ${v.load.done}/${v.load.total}${v.bmph !== null ? ` · ${v.bmph} BMPH` : ""}`
        : `${v.done}/${v.total} moves`,
    }));
    svg.append(g);
  }
  // Cranes: a gantry over the quay edge with its boom over the vessel, counter above.
  for (const c of state.cranes.values()) {
    if (c.quay !== quay.quay) continue;
    const x = sx(cranePosition(c));
    const g = el("svg:g", {
      class: `crane${c.name === state.selected ? " selected" : ""}`, "data-crane-marker": c.name,
      "data-state": c.state, tabindex: 0, role: "button", "aria-label": `Crane ${c.name}: show its queue`,
    });
    g.addEventListener("click", () => select(c.name));
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") select(c.name); });
    g.append(el("svg:rect", { class: "hit", x: x - 30, y: 22, width: 60, height: QUAY_Y + 4 - 22 }));
    g.append(el("svg:line", { class: "boom", x1: x, x2: x, y1: 64, y2: QUAY_Y - 4 }));
    g.append(el("svg:rect", { class: "gantry", x: x - 9, y: QUAY_Y - 14, width: 18, height: 18, rx: 2 }));
    g.append(el("svg:rect", { class: "cab", x: x - 6, y: 60, width: 12, height: 8, rx: 1 }));
    g.append(el("svg:text", { class: "crane-name", x, y: 34, text: c.name }));
    g.append(el("svg:text", {
      class: "counter", x, y: 48, "data-crane": c.name, "data-done": c.done, "data-total": c.total,
      text: `${c.done}/${c.total}`,
    }));
    g.append(el("svg:text", { class: "rate", x, y: 59, "data-crane-rate": c.name, text: `${movesLastHour(c)}/h` }));
    svg.append(g);
  }
  return svg;
}

function renderQuays() {
  const box = $("quays");
  const width = Math.max(640, Math.floor(box.clientWidth || 1200));
  box.replaceChildren(...state.quays.map((q) => drawQuay(q, width)));
  if (!state.quays.length) box.append(el("p", { class: "empty", text: "This terminal has no quay yet." }));
}

function statusBadge(s) {
  return el("span", { class: `badge st-${s}`, text: s.replace("_", " ") });
}

function renderQueue() {
  const c = state.selected ? state.cranes.get(state.selected) : null;
  const box = $("queue");
  if (!c) {
    $("queue-title").textContent = "Crane queue";
    box.replaceChildren(el("p", { class: "empty", text: "Click a crane on the quay to see its queue." }));
    return;
  }
  const v = c.vessel_visit ? state.vessels.get(c.vessel_visit) : null;
  $("queue-title").textContent = `Crane ${c.name}`;
  const facts = el("p", { class: "cr-facts" },
    statusBadge(c.state),
    ` ${v ? `${v.vessel} (${v.reference}), bays ${pad2(c.first_bay)}–${pad2(c.last_bay)}` : "no vessel"} · `,
    el("strong", { "data-queue-done": c.done, text: `${c.done}/${c.total}` }),
    ` done · ${movesLastHour(c)} moves in the last hour · ${c.open} open`,
  );
  const current = el("p", { class: "cr-current" }, el("strong", { text: "Job: " }), c.job ? jobText(c.job) : "none");
  const rows = c.queue.map((m) =>
    el("tr", { "data-work-order": m.work_order },
      el("td", { text: m.sequence ?? "" }),
      el("td", { text: m.kind }),
      el("td", { class: "mono", text: m.container }),
      el("td", { text: moveBay(m) !== null ? pad2(moveBay(m)) : "" }),
      el("td", { text: where(m.kind === "load" ? m.from : m.to) }),
      el("td", {}, statusBadge(m.status)),
    ));
  const table = el("table", { class: "cr-table" },
    el("thead", {}, el("tr", {}, ...["#", "Kind", "Box", "Bay", "Yard side", "Status"].map((h) =>
      el("th", { text: h })))),
    el("tbody", {}, ...rows));
  const more = c.open > c.queue.length ? el("p", { class: "hint", text: `and ${c.open - c.queue.length} more` }) : null;
  box.replaceChildren(facts, current, rows.length ? table : el("p", { class: "empty", text: "Nothing left in the queue." }), more);
}

function renderVessels() {
  const box = $("vessels");
  if (!state.vessels.size) {
    box.replaceChildren(el("p", { class: "empty", text: "No vessel at berth." }));
    return;
  }
  const rows = [...state.vessels.values()].map((v) => {
    const pct = v.total ? Math.round((100 * v.done) / v.total) : 0;
    return el("tr", { "data-visit": v.vessel_visit, "data-done": v.done, "data-total": v.total },
      el("td", {}, el("strong", { text: v.vessel }), ` ${v.reference} · ${v.line}`),
      el("td", { text: `${v.start_m}–${v.end_m} m` }),
      el("td", { text: `${v.discharge.done}/${v.discharge.total}` }),
      el("td", { text: `${v.load.done}/${v.load.total}` }),
      el("td", {}, el("span", { class: "meter" }, el("span", { style: `width:${pct}%` })), ` ${v.done}/${v.total}`),
      el("td", { text: v.bmph !== null ? String(v.bmph) : "–" }),
      el("td", { text: time(v.depart_at) }),
    );
  });
  box.replaceChildren(el("table", { class: "cr-table" },
    el("thead", {}, el("tr", {}, ...["Vessel", "Berth", "Discharge", "Load", "Progress", "BMPH", "Departs"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows)));
}

function renderEquipment() {
  const all = [
    ...[...state.cranes.values()].map((c) => ({ name: c.name, kind: "quay_crane", state: c.state, job: c.job, where: c.bay ? `bay ${pad2(c.bay)}` : "" })),
    ...state.equipment.values(),
  ];
  $("equipment-count").textContent = `${all.filter((e) => e.state === "working").length} working of ${all.length}`;
  const rows = all.map((e) =>
    el("tr", { "data-equipment": e.name, "data-state": e.state },
      el("td", { class: "mono", text: e.name }),
      el("td", { text: KINDS[e.kind] || e.kind }),
      el("td", {}, statusBadge(e.state)),
      el("td", { text: e.where || e.block || "" }),
      el("td", { text: e.job ? (e.job.container ? jobText(e.job) : `order ${e.job.work_order}`) : "" }),
    ));
  $("equipment").replaceChildren(el("table", { class: "cr-table cr-equipment" },
    el("thead", {}, el("tr", {}, ...["Name", "Kind", "State", "Where", "Current job"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows)));
}

function idleAlarms() {
  const out = [];
  for (const c of state.cranes.values()) {
    const waiting = c.queue.some((m) => m.status === "planned") || c.open > c.queue.length;
    if (c.state === "idle" && c.open > 0 && waiting && c.equipment) {
      out.push({ id: `idle-${c.equipment}`, kind: "crane_idle", severity: "warning", at: null, text: `${c.name} is idle with ${c.open} moves open in its queue.` });
    }
  }
  return out;
}

function renderAlarms() {
  const list = [...idleAlarms(), ...[...state.alarms.values()].sort((a, b) => (a.at < b.at ? 1 : -1))];
  $("alarm-count").textContent = list.length ? String(list.length) : "";
  $("alarms").replaceChildren(...(list.length
    ? list.map((a) => el("li", { class: `alarm ${a.severity}`, "data-alarm": a.kind },
      el("span", { class: "when", text: a.at ? time(a.at) : "now" }), el("span", { text: a.text })))
    : [el("li", { class: "empty", text: "No open alarms." })]));
}

function render() {
  renderQuays();
  renderQueue();
  renderVessels();
  renderEquipment();
  renderAlarms();
  const moves = [...state.cranes.values()].reduce((n, c) => n + movesLastHour(c), 0);
  $("summary").textContent = `${state.vessels.size} vessels at berth · ${moves} crane moves in the last hour`;
  if (state.status === "live") setConn("live");
}

function select(name) {
  state.selected = state.selected === name ? null : name;
  render();
}

// --- read-only view for tests ------------------------------------------------------------------

window.controlRoom = {
  get ready() { return state.ready; },
  get seq() { return state.seq; },
  get status() { return state.status; },
  crane: (name) => {
    const c = state.cranes.get(name);
    return c ? { done: c.done, total: c.total, state: c.state, bay: c.bay, open: c.open, movesLastHour: movesLastHour(c), queue: c.queue.map((m) => m.work_order), job: c.job ? c.job.work_order : null } : null;
  },
  vessel: (id) => {
    const v = state.vessels.get(id);
    return v ? { done: v.done, total: v.total, discharge: { ...v.discharge }, load: { ...v.load }, bmph: v.bmph } : null;
  },
  alarms: () => [...idleAlarms(), ...state.alarms.values()].map((a) => ({ kind: a.kind, text: a.text })),
  applied: () => state.applied.slice(),
  select: (name) => select(name),
  reload: () => resync(),
};

// --- start -------------------------------------------------------------------------------------

async function start() {
  if (!state.terminal) {
    setConn("offline", "No terminal");
    say("There is no terminal yet: load the demo (manage.py seed_demo) or create one.");
    return;
  }
  try {
    await loadSnapshot();
  } catch (err) {
    say(`The control room could not be loaded: ${err.message}`);
    setConn("offline", "Not loaded");
    return;
  }
  state.ready = true;
  live = connectLive({
    terminalId: state.terminal,
    seq: state.seq,
    onEvent,
    onStatus: (s) => setConn(s),
    onResync: () => resync(),
    onDenied: () => setConn("denied"),
  });
  window.addEventListener("resize", () => renderQuays());
  // Moves of the last hour age out even when nothing happens.
  setInterval(render, 30_000);
}

start();
