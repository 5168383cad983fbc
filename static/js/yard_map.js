// yard_map.js: the live yard map, the operators' main screen.
//
// Three views: the terminal overview (every block at its plan position and orientation, each
// ground stack a cell coloured by the chosen attribute; Canvas), the block view (bays × rows with
// stack heights; Canvas) and the bay cross-section (rows × tiers with container numbers; SVG).
// Pan with a drag, zoom with the wheel; click a block to open it, a bay to see its cross-section,
// a box for its details. Nothing is drawn per box in the DOM of the canvas views, and the canvas
// views draw only the blocks in sight, so a 50,000-slot yard stays smooth.
//
// Live (DESIGN.md §5.6): the page loads GET /api/v1/yard/snapshot/ with its seq, then follows
// the terminal's events through live.js (which detects gaps and replays them from
// /api/v1/events/); yard events carry absolute positions, so applying one is a plain upsert.
// When the gap is too large to replay, the snapshot is loaded again and events that arrived
// meanwhile are applied on top.
//
// For tests and the curious, window.yardMap is a read-only view of what the map shows
// (boxAt, whereIs, legend, seq, view, latency of each event from arrival to paint, …).
import { connectLive } from "./live.js";

const root = document.getElementById("yardmap");
const $ = (id) => document.getElementById(id);
const canvas = $("map");
const ctx = canvas.getContext("2d");

const BAY_PITCH_M = 6.5; // one 20' ground bay along the block (as yard/allocation.py)
const ROW_PITCH_M = 2.9; // one row across the block
const ROW_ASPECT = 1.25; // block view: a row is this many times as tall as a ground bay is wide
const BLOCK_MARGIN = { left: 60, top: 40, right: 12, bottom: 14 };
const OVERVIEW_HEIGHT = 540;
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
  "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bcbd22", "#8c6d31",
];
const OTHER = "#a3adb8";
const NONE = "#d3d9e0";
const EMPTY_CELL = "#f2f4f7";
const HEIGHTS = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b", "#04224d", "#021733", "#010d1f"];
const WEIGHTS = { 0: ["unknown or empty", NONE], 1: ["light < 10 t", "#fdd49e"], 2: ["medium 10–20 t", "#fc8d59"], 3: ["heavy 20–28 t", "#d7301f"], 4: ["very heavy ≥ 28 t", "#7f0000"] };
const SIZES = { 20: ["20'", "#4e79a7"], 40: ["40'", "#f28e2b"], 45: ["45'", "#59a14f"] };
const DG_CLASSES = {
  1: ["1 explosives", "#f28e2b"], 2: ["2 gases", "#59a14f"], 3: ["3 flammable liquids", "#e15759"],
  4: ["4 flammable solids", "#b07aa1"], 5: ["5 oxidisers", "#edc948"], 6: ["6 toxic", "#9c755f"],
  7: ["7 radioactive", "#ff9da7"], 8: ["8 corrosives", "#3b3b3b"], 9: ["9 miscellaneous", "#17becf"],
};
const DWELL = [
  [1, "under 1 day", "#ffffb2"], [3, "1–3 days", "#fecc5c"], [7, "3–7 days", "#fd8d3c"],
  [14, "7–14 days", "#f03b20"], [Infinity, "14 days or more", "#a50026"],
];
const MODE_TITLES = {
  occupancy: "stack height", line: "line", pod: "port of discharge", weight: "weight class",
  size: "size", reefer: "reefer", dg: "dangerous goods", holds: "holds", dwell: "dwell time",
  visit: "vessel visit",
};

// --- state -------------------------------------------------------------------------------------

const state = {
  terminal: Number(root.dataset.terminal) || null,
  seq: 0,
  loading: false,
  pending: [], // events that arrived while a snapshot was loading
  generatedAt: 0,
  blocks: [], // {i, name, kind, bays, rows, max_tier, x_m, y_m, orientation_deg, zones, grid, cos, sin, L, W, boxes, teu}
  blockByName: new Map(),
  boxes: new Map(), // unit id → box
  byContainer: new Map(), // container number → unit id
  reservations: new Map(), // reservation id → {id, unit, container, b, bay, row, tier, size, until, move}
  mode: "occupancy",
  focus: null, // a legend key: boxes of other keys are faded
  colours: new Map(), // categorical mode → Map(value → colour)
  view: "overview", // or "block"
  block: null, // index of the open block
  bay: null, // open bay (odd or even number) or null
  selected: null, // unit id shown in the details panel
  highlight: null, // unit id found by search
  cams: { overview: null, block: null },
  status: "connecting",
  wasLive: false,
  dirty: { canvas: true, bay: true, legend: true },
  frame: 0,
  unpainted: [],
  latency: [],
  paints: 0,
  lastPaintMs: 0,
  flight: null,
  hover: null,
};
let live = null;

// --- helpers -----------------------------------------------------------------------------------

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function fmtInt(n) {
  return Number(n).toLocaleString("en-GB");
}
function pad2(n) {
  return String(n).padStart(2, "0");
}
function ref(block, bay, row, tier) {
  return `${block}.${pad2(bay)}.${row}.${tier}`;
}
function nowS() {
  return Date.now() / 1000;
}
function wallNow() {
  return performance.timeOrigin + performance.now();
}
function say(text, ok = false) {
  const el = $("message");
  el.hidden = !text;
  el.textContent = text || "";
  el.classList.toggle("ok", ok);
}
/** Ground bays [from, to) a box in `bay` covers: 20' in an odd bay, 40'/45' in an even one. */
function grounds(bay, size) {
  return size === 20 || bay % 2 === 1 ? [bay, bay + 1] : [bay - 1, bay + 2];
}
function gIndex(groundBay) {
  return (groundBay - 1) >> 1;
}
function luminance(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return (0.299 * r + 0.587 * g + 0.114 * b) / 255;
}
function textOn(hex) {
  return luminance(hex) > 0.55 ? "#1d2733" : "#fff";
}
function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}
async function getJson(url) {
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrf() } });
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

// --- the yard model ----------------------------------------------------------------------------

function cellIndex(block, g, row, tier) {
  return (g * block.rows + (row - 1)) * block.max_tier + (tier - 1);
}

function unitAt(block, g, row, tier) {
  if (g < 0 || g >= block.bays || row < 1 || row > block.rows || tier < 1 || tier > block.max_tier) return 0;
  return block.grid[cellIndex(block, g, row, tier)];
}

/** The top box of a ground stack: [unit, tier] or [0, 0]. */
function topOf(block, g, row) {
  const base = (g * block.rows + (row - 1)) * block.max_tier;
  for (let t = block.max_tier; t >= 1; t--) {
    const u = block.grid[base + t - 1];
    if (u) return [u, t];
  }
  return [0, 0];
}

function makeBlock(raw, i) {
  const rad = (raw.orientation_deg * Math.PI) / 180;
  return {
    ...raw,
    i,
    grid: new Float64Array(raw.bays * raw.rows * raw.max_tier),
    cos: Math.cos(rad),
    sin: Math.sin(rad),
    L: raw.bays * BAY_PITCH_M,
    W: raw.rows * ROW_PITCH_M,
    boxes: 0,
    teu: 0,
  };
}

function putBox(box) {
  const block = state.blocks[box.b];
  const [from, to] = grounds(box.bay, box.size);
  for (let gb = from; gb < to; gb += 2) {
    const g = gIndex(gb);
    if (g >= 0 && g < block.bays && box.row <= block.rows && box.tier <= block.max_tier) {
      block.grid[cellIndex(block, g, box.row, box.tier)] = box.unit;
    }
  }
  block.boxes += 1;
  block.teu += box.size === 20 ? 1 : 2;
  state.boxes.set(box.unit, box);
  state.byContainer.set(box.container, box.unit);
}

function takeBox(unit) {
  const box = state.boxes.get(unit);
  if (!box) return null;
  const block = state.blocks[box.b];
  const [from, to] = grounds(box.bay, box.size);
  for (let gb = from; gb < to; gb += 2) {
    const g = gIndex(gb);
    if (g >= 0 && g < block.bays && box.row <= block.rows && box.tier <= block.max_tier) {
      const k = cellIndex(block, g, box.row, box.tier);
      if (block.grid[k] === unit) block.grid[k] = 0;
    }
  }
  block.boxes -= 1;
  block.teu -= box.size === 20 ? 1 : 2;
  state.boxes.delete(unit);
  if (state.byContainer.get(box.container) === unit) state.byContainer.delete(box.container);
  return box;
}

function loadSnapshotInto(snap) {
  state.blocks = snap.blocks.map(makeBlock);
  state.blockByName = new Map(state.blocks.map((b) => [b.name, b]));
  state.boxes = new Map();
  state.byContainer = new Map();
  state.reservations = new Map();
  const c = Object.fromEntries(snap.columns.map((name, i) => [name, i]));
  const d = snap.dicts;
  const pick = (list, i) => (i === null || i === undefined ? null : list[i]);
  for (const row of snap.boxes) {
    putBox({
      unit: row[c.unit],
      container: row[c.container],
      b: row[c.block_i],
      bay: row[c.bay],
      row: row[c.row],
      tier: row[c.tier],
      size: row[c.size],
      line: pick(d.line, row[c.line_i]),
      pod: pick(d.pod, row[c.pod_i]),
      category: pick(d.category, row[c.category_i]),
      wc: row[c.weight_class] || 0,
      reefer: !!row[c.reefer],
      imdg: pick(d.imdg, row[c.imdg_i]) || "",
      visit: pick(d.visit, row[c.visit_i]),
      holds: row[c.holds] || 0,
      timeIn: row[c.time_in],
    });
  }
  const rc = Object.fromEntries(snap.reservation_columns.map((name, i) => [name, i]));
  for (const row of snap.reservations) {
    const unit = row[rc.unit];
    const box = state.boxes.get(unit);
    state.reservations.set(row[rc.reservation], {
      id: row[rc.reservation],
      unit,
      container: box ? box.container : null,
      b: row[rc.block_i],
      bay: row[rc.bay],
      row: row[rc.row],
      tier: row[rc.tier],
      size: row[rc.size],
      until: row[rc.until],
      move: row[rc.move],
    });
  }
  state.seq = snap.seq;
  state.generatedAt = Date.parse(snap.generated_at) || Date.now();
  state.colours = new Map();
  if (state.block !== null && state.block >= state.blocks.length) closeBlock();
}

async function loadSnapshot() {
  state.loading = true;
  state.pending = [];
  setConn(state.status, "Loading the yard…");
  try {
    const snap = await getJson("/api/v1/yard/snapshot/");
    loadSnapshotInto(snap);
    const later = state.pending.filter((e) => e.seq > snap.seq).sort((a, b) => a.seq - b.seq);
    state.loading = false;
    for (const e of later) {
      if (e.seq > state.seq) {
        applyEvent(e);
        state.seq = e.seq;
      }
    }
    state.pending = [];
    invalidate("canvas", "bay", "legend");
    return state.seq;
  } finally {
    state.loading = false;
  }
}

// --- live events -------------------------------------------------------------------------------

function boxFromPayload(p) {
  const block = state.blockByName.get(p.block);
  if (!block) return null;
  return {
    unit: p.unit,
    container: p.container,
    b: block.i,
    bay: p.bay,
    row: p.row,
    tier: p.tier,
    size: p.size === 20 ? 20 : p.size,
    line: p.line ?? null,
    pod: p.pod || null,
    category: p.category ?? null,
    wc: p.weight_class || 0,
    reefer: !!p.reefer,
    imdg: p.imdg || "",
    visit: p.visit ?? null,
    holds: p.holds || 0,
    timeIn: p.time_in ? Math.round(Date.parse(p.time_in) / 1000) : null,
  };
}

function reservationFrom(p, target) {
  const block = state.blockByName.get(target.block);
  if (!block) return null;
  return {
    id: p.reservation,
    unit: p.unit,
    container: p.container,
    b: block.i,
    bay: target.bay,
    row: target.row,
    tier: target.tier,
    size: p.size || (target.bay % 2 === 1 ? 20 : 40),
    until: p.until ? Date.parse(p.until) / 1000 : Infinity,
    move: p.move ?? null,
  };
}

/** Apply one event to the model; false when it names a block the map does not know. */
function applyEvent(e) {
  const p = e.payload || {};
  const touched = [];
  switch (e.type) {
    case "yard.unit_placed":
    case "yard.unit_moved": {
      const box = boxFromPayload(p);
      if (!box) return false;
      const old = takeBox(p.unit);
      if (old) touched.push(old.b);
      putBox(box);
      touched.push(box.b);
      break;
    }
    case "yard.unit_removed": {
      const old = takeBox(p.unit);
      if (old) touched.push(old.b);
      break;
    }
    case "yard.slot_reserved": {
      const r = reservationFrom(p, p);
      if (!r) return false;
      state.reservations.set(r.id, r);
      touched.push(r.b);
      break;
    }
    case "yard.move_planned": {
      if (!p.reservation || !p.to) break;
      const box = state.boxes.get(p.unit);
      const r = reservationFrom({ ...p, size: box ? box.size : undefined }, p.to);
      if (!r) return false;
      state.reservations.set(r.id, r);
      touched.push(r.b);
      break;
    }
    case "yard.slot_released":
    case "yard.move_confirmed":
    case "yard.move_cancelled": {
      const r = p.reservation ? state.reservations.get(p.reservation) : null;
      if (r) {
        state.reservations.delete(r.id);
        touched.push(r.b);
      }
      break;
    }
    case "hold.applied":
    case "hold.released": {
      const box = state.boxes.get(p.unit);
      if (!box) return true;
      box.holds = Math.max(0, box.holds + (e.type === "hold.applied" ? 1 : -1));
      touched.push(box.b);
      if (state.selected === box.unit) showDetails(box.unit);
      break;
    }
    default:
      return true;
  }
  if (touched.some((b) => b === state.block)) state.dirty.bay = true;
  if (touched.length) {
    state.dirty.canvas = true;
    state.dirty.legend = true;
  }
  if (p.unit && p.unit === state.selected && e.type.startsWith("yard.unit_")) refreshSelected();
  return true;
}

function onEvent(e) {
  if (state.loading) {
    state.pending.push(e);
    return;
  }
  if (e.seq <= state.seq) return; // the snapshot (or a replay) already has it
  const received = wallNow();
  if (!applyEvent(e)) {
    // A block the map has never seen (the yard's layout changed): start again from a snapshot.
    resync();
    return;
  }
  state.seq = e.seq;
  state.unpainted.push({ seq: e.seq, type: e.type, ts: e.ts, receivedAt: received });
  schedule();
}

let resyncing = null;
function resync() {
  if (resyncing) return resyncing;
  resyncing = loadSnapshot()
    .then((seq) => {
      if (live) live.resetSeq(seq);
    })
    .catch((err) => say(`The yard could not be reloaded: ${err.message}`))
    .finally(() => {
      resyncing = null;
      setConn(live ? live.status : "offline");
    });
  return resyncing;
}

const CONN_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  replaying: "Catching up…",
  offline: "Offline: reconnecting…",
  denied: "No live access",
};

function setConn(status, text) {
  state.status = status;
  if (status === "live") state.wasLive = true;
  const el = $("conn");
  el.dataset.state = status;
  el.textContent = text || (status === "live" ? `Live · seq ${fmtInt(state.seq)}` : CONN_TEXT[status] || status);
  const dot = document.querySelector(".live-status");
  if (dot) dot.dataset.state = status === "denied" ? "offline" : status;
  $("stale").hidden = !(state.wasLive && (status === "offline" || status === "connecting"));
}

// --- colours and the legend --------------------------------------------------------------------

function categoricalValue(box, mode) {
  if (mode === "line") return box.line;
  if (mode === "pod") return box.pod;
  return box.visit;
}

function categoricalColours(mode) {
  let map = state.colours.get(mode);
  if (map) return map;
  const counts = new Map();
  for (const box of state.boxes.values()) {
    const v = categoricalValue(box, mode);
    if (v) counts.set(v, (counts.get(v) || 0) + 1);
  }
  const order = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(b[0]));
  map = new Map(order.slice(0, PALETTE.length).map(([v], i) => [v, PALETTE[i]]));
  state.colours.set(mode, map);
  return map;
}

/** [key, colour] of a box in the current mode (the key is what the legend lists). */
function classify(box, mode = state.mode, stackHeight = 0) {
  switch (mode) {
    case "occupancy": {
      const h = stackHeight || box.tier;
      return [`h${h}`, HEIGHTS[Math.min(h, HEIGHTS.length) - 1]];
    }
    case "line":
    case "pod":
    case "visit": {
      const v = categoricalValue(box, mode);
      if (!v) return ["none", NONE];
      const colours = categoricalColours(mode);
      if (!colours.has(v) && colours.size < PALETTE.length) colours.set(v, PALETTE[colours.size]);
      return colours.has(v) ? [v, colours.get(v)] : ["other", OTHER];
    }
    case "weight":
      return [`w${box.wc}`, (WEIGHTS[box.wc] || WEIGHTS[0])[1]];
    case "size":
      return [`s${box.size}`, (SIZES[box.size] || SIZES[40])[1]];
    case "reefer":
      return box.reefer ? ["reefer", "#1f77b4"] : ["none", NONE];
    case "dg": {
      if (!box.imdg) return ["none", NONE];
      const cls = box.imdg.split(".")[0];
      return [`c${cls}`, (DG_CLASSES[cls] || DG_CLASSES[9])[1]];
    }
    case "holds":
      return box.holds > 0 ? ["held", "#d62728"] : ["none", NONE];
    case "dwell": {
      if (!box.timeIn) return ["none", NONE];
      const days = (nowS() - box.timeIn) / 86400;
      const i = DWELL.findIndex(([limit]) => days < limit);
      return [`d${i}`, DWELL[i][2]];
    }
    default:
      return ["none", NONE];
  }
}

function colourOf(box, stackHeight) {
  const [key, colour] = classify(box, state.mode, stackHeight);
  if (state.focus !== null && key !== state.focus) return "#e6e9ee";
  return colour;
}

function legendLabel(mode, key) {
  if (key === "none") {
    const none = { line: "no line", pod: "no POD", visit: "no vessel visit", dg: "not dangerous", dwell: "unknown" };
    return { ...none, reefer: "not a powered reefer", holds: "no hold" }[mode] || "none";
  }
  if (key === "other") return "other";
  switch (mode) {
    case "occupancy":
      return `${key.slice(1)} high`;
    case "weight":
      return (WEIGHTS[key.slice(1)] || WEIGHTS[0])[0];
    case "size":
      return (SIZES[key.slice(1)] || ["?"])[0];
    case "reefer":
      return "reefer (powered)";
    case "dg":
      return `class ${(DG_CLASSES[key.slice(1)] || ["9 misc."])[0]}`;
    case "holds":
      return "on hold";
    case "dwell":
      return DWELL[Number(key.slice(1))][1];
    default:
      return key;
  }
}

/** [{key, label, colour, count}] of the current mode, as the legend shows it. */
function legendEntries() {
  const counts = new Map();
  const colours = new Map();
  if (state.mode === "occupancy") {
    for (const block of state.blocks) {
      for (let g = 0; g < block.bays; g++) {
        for (let r = 1; r <= block.rows; r++) {
          const h = topOf(block, g, r)[1];
          if (!h) continue;
          const key = `h${h}`;
          counts.set(key, (counts.get(key) || 0) + 1);
          colours.set(key, HEIGHTS[Math.min(h, HEIGHTS.length) - 1]);
        }
      }
    }
  } else {
    for (const box of state.boxes.values()) {
      const [key, colour] = classify(box);
      counts.set(key, (counts.get(key) || 0) + 1);
      colours.set(key, colour);
    }
  }
  const entries = [...counts.entries()].map(([key, count]) => ({
    key,
    label: legendLabel(state.mode, key),
    colour: colours.get(key),
    count,
  }));
  const rank = (k) => (k === "other" ? 1 : k === "none" ? 2 : 0);
  const ordered = ["occupancy", "weight", "size", "dg", "dwell"].includes(state.mode);
  entries.sort((a, b) =>
    rank(a.key) - rank(b.key) || (ordered ? a.key.localeCompare(b.key, "en", { numeric: true }) : b.count - a.count),
  );
  return entries;
}

function renderLegend() {
  const entries = legendEntries();
  $("legend-mode").textContent = `by ${MODE_TITLES[state.mode]}${state.mode === "occupancy" ? " (stacks)" : ""}`;
  $("legend").innerHTML = entries
    .map(
      (e) => `<li data-key="${esc(e.key)}" class="${state.focus === e.key ? "focus" : ""}" title="Click to pick these out">
        <span class="sw" style="background:${e.colour}"></span><span class="lbl">${esc(e.label)}</span><span class="n">${fmtInt(e.count)}</span></li>`,
    )
    .join("");
  let teu = 0;
  let cap = 0;
  for (const b of state.blocks) {
    teu += b.teu;
    cap += b.bays * b.rows * b.max_tier;
  }
  const reserved = [...state.reservations.values()].filter((r) => r.until > nowS()).length;
  $("totals").textContent = `${fmtInt(state.boxes.size)} boxes · ${fmtInt(teu)} TEU of ${fmtInt(cap)} (${cap ? Math.round((100 * teu) / cap) : 0} %) · ${fmtInt(reserved)} slots reserved`;
}

// --- cameras -----------------------------------------------------------------------------------

function viewport() {
  return { w: canvas.clientWidth, h: canvas.clientHeight };
}

function overviewBounds() {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of state.blocks) {
    for (const [u, v] of [[0, 0], [b.L, 0], [0, b.W], [b.L, b.W]]) {
      const x = b.x_m + u * b.cos - v * b.sin;
      const y = b.y_m + u * b.sin + v * b.cos;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  if (!Number.isFinite(x0)) return { x0: 0, y0: 0, x1: 100, y1: 100 };
  return { x0: Math.min(x0, 0), y0: Math.min(y0, -40), x1, y1: y1 + 10 };
}

function fitOverview() {
  const { w, h } = viewport();
  const bb = overviewBounds();
  const k = Math.min((w - 40) / (bb.x1 - bb.x0 || 1), (h - 50) / (bb.y1 - bb.y0 || 1));
  return { cx: (bb.x0 + bb.x1) / 2, cy: (bb.y0 + bb.y1) / 2 + 8 / k, k };
}

function blockCellKFit(block) {
  const w = canvas.parentElement.clientWidth - 2;
  return Math.max(6, Math.min(64, (w - BLOCK_MARGIN.left - BLOCK_MARGIN.right) / block.bays, 44 / ROW_ASPECT));
}

function fitBlock(block) {
  const k = blockCellKFit(block);
  const { w } = viewport();
  const h = blockCanvasHeight(block);
  const gw = w - BLOCK_MARGIN.left - BLOCK_MARGIN.right;
  const gh = h - BLOCK_MARGIN.top - BLOCK_MARGIN.bottom;
  // Left-aligned when the block is narrower than the canvas, row 1 at the top.
  return { cx: Math.max(block.bays / 2, gw / (2 * k)), cy: Math.max((block.rows * ROW_ASPECT) / 2, gh / (2 * k)), k };
}

function blockCanvasHeight(block) {
  const k = blockCellKFit(block);
  return Math.round(Math.max(220, Math.min(OVERVIEW_HEIGHT, block.rows * ROW_ASPECT * k + BLOCK_MARGIN.top + BLOCK_MARGIN.bottom + 6)));
}

function cam() {
  return state.cams[state.view];
}

/** Screen ↔ world for the current view (overview: metres; block: ground bays × rows·aspect). */
function toScreen(x, y, c = cam()) {
  const { w, h } = viewport();
  if (state.view === "block") {
    const ox = BLOCK_MARGIN.left + (w - BLOCK_MARGIN.left - BLOCK_MARGIN.right) / 2;
    const oy = BLOCK_MARGIN.top + (h - BLOCK_MARGIN.top - BLOCK_MARGIN.bottom) / 2;
    return [ox + (x - c.cx) * c.k, oy + (y - c.cy) * c.k];
  }
  return [w / 2 + (x - c.cx) * c.k, h / 2 + (y - c.cy) * c.k];
}

function toWorld(sx, sy, c = cam()) {
  const { w, h } = viewport();
  if (state.view === "block") {
    const ox = BLOCK_MARGIN.left + (w - BLOCK_MARGIN.left - BLOCK_MARGIN.right) / 2;
    const oy = BLOCK_MARGIN.top + (h - BLOCK_MARGIN.top - BLOCK_MARGIN.bottom) / 2;
    return [c.cx + (sx - ox) / c.k, c.cy + (sy - oy) / c.k];
  }
  return [c.cx + (sx - w / 2) / c.k, c.cy + (sy - h / 2) / c.k];
}

function zoomAt(sx, sy, factor) {
  const c = cam();
  const limits = state.view === "block" ? [3, 160] : [0.08, 60];
  const k = Math.max(limits[0], Math.min(limits[1], c.k * factor));
  const [wx, wy] = toWorld(sx, sy);
  c.k = k;
  const [nx, ny] = toWorld(sx, sy);
  c.cx += wx - nx;
  c.cy += wy - ny;
  invalidate("canvas");
}

function flyTo(target, ms = 380) {
  const c = cam();
  const from = { ...c };
  const start = performance.now();
  const flight = {};
  state.flight = flight;
  return new Promise((resolve) => {
    function step() {
      if (state.flight !== flight) return resolve(false);
      const t = Math.min(1, (performance.now() - start) / ms);
      const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      c.k = Math.exp(Math.log(from.k) + (Math.log(target.k) - Math.log(from.k)) * e);
      c.cx = from.cx + (target.cx - from.cx) * e;
      c.cy = from.cy + (target.cy - from.cy) * e;
      invalidate("canvas");
      if (t < 1) requestAnimationFrame(step);
      else {
        state.flight = null;
        resolve(true);
      }
    }
    requestAnimationFrame(step);
  });
}

// --- drawing: the overview ---------------------------------------------------------------------

/** The overview is as tall as the yard plan needs at the canvas's width (within limits). */
function overviewCanvasHeight() {
  const w = canvas.parentElement.clientWidth - 2;
  const bb = overviewBounds();
  const k = (w - 40) / (bb.x1 - bb.x0 || 1);
  return Math.round(Math.max(320, Math.min(OVERVIEW_HEIGHT, (bb.y1 - bb.y0) * k + 60)));
}

function sizeCanvas() {
  const height = state.view === "block" && state.block !== null ? blockCanvasHeight(state.blocks[state.block]) : overviewCanvasHeight();
  canvas.style.height = `${height}px`;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr);
  const h = Math.round(canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return dpr;
}

function blockOnScreen(b, c, w, h) {
  const cx = b.x_m + (b.L / 2) * b.cos - (b.W / 2) * b.sin;
  const cy = b.y_m + (b.L / 2) * b.sin + (b.W / 2) * b.cos;
  const [sx, sy] = toScreen(cx, cy, c);
  const r = (Math.hypot(b.L, b.W) / 2) * c.k;
  return sx + r >= 0 && sx - r <= w && sy + r >= 0 && sy - r <= h;
}

function drawOverview(dpr) {
  const c = cam();
  const { w, h } = viewport();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#e4e9ee";
  ctx.fillRect(0, 0, w, h);
  // The quay along y = 0 (berths are measured along it) and the water beyond.
  const bb = overviewBounds();
  const [qx0, qy0] = toScreen(bb.x0 - 20, -30, c);
  const [qx1, qy1] = toScreen(bb.x1 + 20, 0, c);
  ctx.fillStyle = "#cfe0ef";
  ctx.fillRect(0, 0, w, Math.max(0, qy0));
  ctx.fillStyle = "#b8c3cf";
  ctx.fillRect(qx0, qy0, qx1 - qx0, qy1 - qy0);
  if (qy1 - qy0 > 9) {
    ctx.fillStyle = "#3d4b5a";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText("Quay", qx0 + 6, (qy0 + qy1) / 2);
  }
  const cellPx = BAY_PITCH_M * c.k;
  const gap = cellPx >= 5 ? 0.35 : 0;
  const now = nowS();
  const labels = [];
  for (const b of state.blocks) {
    if (!blockOnScreen(b, c, w, h)) continue;
    const [ox, oy] = toScreen(b.x_m, b.y_m, c);
    ctx.setTransform(dpr * c.k * b.cos, dpr * c.k * b.sin, -dpr * c.k * b.sin, dpr * c.k * b.cos, dpr * ox, dpr * oy);
    ctx.fillStyle = b.kind === "dangerous" ? "#f6e7e7" : b.kind === "reefer" ? "#e5f1f7" : "#f7f8fa";
    ctx.fillRect(0, 0, b.L, b.W);
    // One fillStyle per colour: group the stacks of this block by colour first.
    const groups = new Map();
    for (let g = 0; g < b.bays; g++) {
      for (let r = 1; r <= b.rows; r++) {
        const [u, t] = topOf(b, g, r);
        if (!u) continue;
        const colour = colourOf(state.boxes.get(u), t);
        let list = groups.get(colour);
        if (!list) groups.set(colour, (list = []));
        list.push(g, r);
      }
    }
    for (const [colour, list] of groups) {
      ctx.fillStyle = colour;
      for (let i = 0; i < list.length; i += 2) {
        ctx.fillRect(list[i] * BAY_PITCH_M + gap, (list[i + 1] - 1) * ROW_PITCH_M + gap, BAY_PITCH_M - 2 * gap, ROW_PITCH_M - 2 * gap);
      }
    }
    if (cellPx >= 4) {
      ctx.setLineDash([1.2, 0.8]);
      ctx.lineWidth = 0.5;
      ctx.strokeStyle = "#0b5fa5";
      for (const res of state.reservations.values()) {
        if (res.b !== b.i || res.until <= now) continue;
        const [from, to] = grounds(res.bay, res.size);
        ctx.strokeRect(gIndex(from) * BAY_PITCH_M + 0.3, (res.row - 1) * ROW_PITCH_M + 0.3, ((to - from) / 2) * BAY_PITCH_M - 0.6, ROW_PITCH_M - 0.6);
      }
      ctx.setLineDash([]);
    }
    ctx.lineWidth = 1 / c.k;
    ctx.strokeStyle = state.hover && state.hover.block === b.i ? "#0b5fa5" : "#8796a6";
    if (state.hover && state.hover.block === b.i) ctx.lineWidth = 2.5 / c.k;
    ctx.strokeRect(0, 0, b.L, b.W);
    labels.push(b);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  // Labels in screen space, above each block's first corner; only where there is room.
  ctx.font = "600 12px system-ui, sans-serif";
  ctx.textBaseline = "bottom";
  for (const b of labels) {
    const len = b.L * c.k;
    if (len < 34) continue;
    const [sx, sy] = toScreen(b.x_m, b.y_m, c);
    const [ex] = toScreen(b.x_m + b.L * b.cos, b.y_m + b.L * b.sin, c);
    const cap = b.bays * b.rows * b.max_tier;
    const pct = cap ? Math.round((100 * b.teu) / cap) : 0;
    const text = len > 120 ? `${b.name} · ${pct} %${b.kind !== "dry" ? ` · ${b.kind}` : ""}` : b.name;
    // Keep the label in sight while any of the block is (zoomed in, its corner may be off-screen).
    const width = ctx.measureText(text).width;
    const x = b.cos > 0.99 ? Math.max(sx + 1, Math.min(4, ex - width - 2)) : sx + 1;
    ctx.fillStyle = "#1d2733";
    ctx.fillText(text, x, Math.max(14, sy - 3));
  }
  drawHighlight(dpr);
}

/** A ring around the found box that is visible at any zoom. */
function drawHighlight(dpr) {
  const box = state.highlight !== null ? state.boxes.get(state.highlight) : null;
  if (!box) return;
  let sx;
  let sy;
  if (state.view === "overview") {
    const b = state.blocks[box.b];
    const [from, to] = grounds(box.bay, box.size);
    const u = ((gIndex(from) + (to - from) / 4) * BAY_PITCH_M);
    const v = (box.row - 0.5) * ROW_PITCH_M;
    [sx, sy] = toScreen(b.x_m + u * b.cos - v * b.sin, b.y_m + u * b.sin + v * b.cos);
  } else {
    if (box.b !== state.block) return;
    return; // the block view outlines the box itself
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const r = Math.max(9, BAY_PITCH_M * cam().k);
  ctx.lineWidth = 4;
  ctx.strokeStyle = "#fff";
  ctx.beginPath();
  ctx.arc(sx, sy, r, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#d62728";
  ctx.stroke();
}

// --- drawing: the block view -------------------------------------------------------------------

function drawBlock(dpr) {
  const b = state.blocks[state.block];
  const c = cam();
  const { w, h } = viewport();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  const k = c.k;
  const rh = k * ROW_ASPECT;
  const gx0 = BLOCK_MARGIN.left;
  const gy0 = BLOCK_MARGIN.top;
  const gx1 = w - BLOCK_MARGIN.right;
  const gy1 = h - BLOCK_MARGIN.bottom;
  const [x0] = toWorld(gx0, gy0);
  const [x1] = toWorld(gx1, gy1);
  const gFrom = Math.max(0, Math.floor(x0));
  const gTo = Math.min(b.bays - 1, Math.ceil(x1));
  const cell = (g, r) => {
    const [sx, sy] = toScreen(g, (r - 1) * ROW_ASPECT);
    return [sx, sy];
  };
  ctx.save();
  ctx.beginPath();
  ctx.rect(gx0, gy0, gx1 - gx0, gy1 - gy0);
  ctx.clip();
  const inset = k >= 10 ? 1 : 0.5;
  const textual = k >= 15;
  ctx.font = `600 ${Math.min(13, Math.max(10, Math.round(k * 0.42)))}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 1; r <= b.rows; r++) {
    for (let g = gFrom; g <= gTo; g++) {
      const [sx, sy] = cell(g, r);
      const [u, t] = topOf(b, g, r);
      if (!u) {
        ctx.fillStyle = EMPTY_CELL;
        ctx.fillRect(sx + inset, sy + inset, k - 2 * inset, rh - 2 * inset);
        continue;
      }
      const box = state.boxes.get(u);
      let span = 1;
      if (box && box.size !== 20) {
        const first = gIndex(box.bay - 1);
        if (g === first + 1 && g > gFrom && topOf(b, first, r)[0] === u) continue; // drawn with its first half
        if (g === first && topOf(b, first + 1, r)[0] === u) span = 2;
      }
      const colour = box ? colourOf(box, t) : OTHER;
      ctx.fillStyle = colour;
      ctx.fillRect(sx + inset, sy + inset, span * k - 2 * inset, rh - 2 * inset);
      if (span === 2 && k >= 10) {
        // a 40' box: notches where its two ground bays meet (clear of the height number)
        ctx.fillStyle = "rgba(255,255,255,.45)";
        ctx.fillRect(sx + k - 0.5, sy + inset, 1, rh * 0.18);
        ctx.fillRect(sx + k - 0.5, sy + rh * 0.82 - inset, 1, rh * 0.18);
      }
      if (textual) {
        ctx.fillStyle = state.focus !== null && colour === "#e6e9ee" ? "#9aa5b1" : textOn(colour);
        ctx.fillText(String(t), sx + (span * k) / 2, sy + rh / 2 + 0.5);
      }
    }
  }
  // Planned moves hold their target slots: dashed outline.
  const now = nowS();
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#0b5fa5";
  for (const res of state.reservations.values()) {
    if (res.b !== b.i || res.until <= now) continue;
    const [from, to] = grounds(res.bay, res.size);
    const [sx, sy] = cell(gIndex(from), res.row);
    ctx.strokeRect(sx + 2, sy + 2, ((to - from) / 2) * k - 4, rh - 4);
  }
  ctx.setLineDash([]);
  // The open bay.
  if (state.bay !== null) {
    const [from, to] = grounds(state.bay, state.bay % 2 ? 20 : 40);
    const [sx, sy] = cell(gIndex(from), 1);
    // A tint and a thin frame: the stack heights inside stay readable.
    ctx.fillStyle = "rgba(11,95,165,.14)";
    ctx.fillRect(sx, sy, ((to - from) / 2) * k, b.rows * rh);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#0b5fa5";
    ctx.strokeRect(sx - 1, sy - 1, ((to - from) / 2) * k + 2, b.rows * rh + 2);
  }
  // The found or selected box.
  for (const [unit, colour] of [[state.selected, "#1d2733"], [state.highlight, "#d62728"]]) {
    const box = unit !== null ? state.boxes.get(unit) : null;
    if (!box || box.b !== b.i) continue;
    const [from, to] = grounds(box.bay, box.size);
    const [sx, sy] = cell(gIndex(from), box.row);
    ctx.lineWidth = 4;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(sx - 1, sy - 1, ((to - from) / 2) * k + 2, rh + 2);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = colour;
    ctx.strokeRect(sx - 1, sy - 1, ((to - from) / 2) * k + 2, rh + 2);
  }
  ctx.restore();
  drawBlockAxes(b, gFrom, gTo, cell, k, rh);
}

function drawBlockAxes(b, gFrom, gTo, cell, k, rh) {
  const { w } = viewport();
  ctx.save();
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, BLOCK_MARGIN.top - 1);
  ctx.fillRect(0, 0, BLOCK_MARGIN.left - 1, viewport().h);
  ctx.beginPath();
  ctx.rect(BLOCK_MARGIN.left, 0, w - BLOCK_MARGIN.left - BLOCK_MARGIN.right, BLOCK_MARGIN.top);
  ctx.clip();
  // Segregation zones of a dangerous-goods block, as bands above the bay numbers.
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  for (const z of b.zones || []) {
    const [sx] = cell(gIndex(z.first_bay), 1);
    const [ex] = cell(gIndex(z.last_bay) + 1, 1);
    ctx.fillStyle = "#f6e1e1";
    ctx.fillRect(sx + 1, 2, ex - sx - 2, 14);
    ctx.fillStyle = "#8a1c1c";
    ctx.fillText(`${z.name}: class ${z.imdg_classes.join(", ")}`, sx + 4, 9, Math.max(10, ex - sx - 8));
  }
  // Bay numbers (odd ground bays), thinned out so that they never overlap.
  ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, monospace";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  const step = [1, 2, 5, 10, 20].find((s) => s * k >= 24) || 25;
  for (let g = gFrom; g <= gTo; g++) {
    const bay = 2 * g + 1;
    const [sx] = cell(g, 1);
    const open = state.bay !== null && (state.bay === bay || (state.bay % 2 === 0 && Math.abs(state.bay - bay) === 1));
    if (g % step && !open) continue;
    ctx.fillStyle = open ? "#0b5fa5" : "#5b6b7c";
    ctx.font = `${open ? "700 " : ""}11px ui-monospace, SFMono-Regular, Menlo, monospace`;
    ctx.fillText(pad2(bay), sx + k / 2, BLOCK_MARGIN.top - 4);
  }
  ctx.restore();
  ctx.save();
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "#5b6b7c";
  const plugged = b.kind === "reefer" ? new Set(b.plugged_rows && b.plugged_rows.length ? b.plugged_rows : Array.from({ length: b.rows }, (_, i) => i + 1)) : new Set();
  for (let r = 1; r <= b.rows; r++) {
    const [, sy] = cell(gFrom, r);
    if (sy + rh < BLOCK_MARGIN.top || sy > viewport().h) continue;
    ctx.fillText(`${plugged.has(r) ? "⚡ " : ""}row ${r}`, BLOCK_MARGIN.left - 6, sy + rh / 2);
  }
  ctx.restore();
}

// --- drawing: the bay cross-section (SVG) ------------------------------------------------------

function bayCells(b, bay) {
  // {row, tier, parts: [{unit, half: "all"|"fore"|"aft"}]}
  const out = [];
  for (let r = 1; r <= b.rows; r++) {
    for (let t = 1; t <= b.max_tier; t++) {
      const parts = [];
      if (bay % 2 === 1) {
        const u = unitAt(b, gIndex(bay), r, t);
        if (u) parts.push({ unit: u, half: "all" });
      } else {
        const u0 = unitAt(b, gIndex(bay - 1), r, t);
        const u1 = unitAt(b, gIndex(bay + 1), r, t);
        if (u0 && u0 === u1) parts.push({ unit: u0, half: "all" });
        else {
          if (u0) parts.push({ unit: u0, half: "fore" });
          if (u1) parts.push({ unit: u1, half: "aft" });
        }
      }
      out.push({ row: r, tier: t, parts });
    }
  }
  return out;
}

/** Join `parts` with " · " as far as they fit in `width` px at about `charPx` per character. */
function fitText(parts, width, charPx) {
  let out = "";
  for (const part of parts) {
    const next = out ? `${out} · ${part}` : part;
    if (next.length * charPx > width) break;
    out = next;
  }
  return out;
}

function renderBay() {
  const card = $("bay-card");
  if (state.view !== "block" || state.bay === null) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  const b = state.blocks[state.block];
  const bay = state.bay;
  const even = bay % 2 === 0;
  $("bay-title").textContent = `${b.name} · bay ${pad2(bay)} ${even ? `(40', ground bays ${pad2(bay - 1)} and ${pad2(bay + 1)})` : "(20')"}`;
  $("bay-prev").disabled = bay <= 1;
  $("bay-next").disabled = bay >= 2 * b.bays - 1;
  const avail = Math.max(320, $("bay").clientWidth || 800);
  const left = 56;
  const cw = Math.max(64, Math.min(132, Math.floor((avail - left - 12) / b.rows)));
  const ch = 46;
  const top = 8;
  const width = left + b.rows * cw + 12;
  const height = top + b.max_tier * ch + 26;
  const now = nowS();
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Cross-section of ${esc(b.name)} bay ${bay}">`);
  for (let t = 1; t <= b.max_tier; t++) {
    const y = top + (b.max_tier - t) * ch;
    parts.push(`<text class="axis" x="${left - 8}" y="${y + ch / 2}" text-anchor="end" dominant-baseline="middle">tier ${t}</text>`);
  }
  for (let r = 1; r <= b.rows; r++) {
    parts.push(`<text class="axis" x="${left + (r - 0.5) * cw}" y="${top + b.max_tier * ch + 16}" text-anchor="middle">row ${r}</text>`);
  }
  parts.push(`<line class="ground" x1="${left - 2}" x2="${left + b.rows * cw + 2}" y1="${top + b.max_tier * ch + 1}" y2="${top + b.max_tier * ch + 1}"/>`);
  for (const c of bayCells(b, bay)) {
    const x = left + (c.row - 1) * cw;
    const y = top + (b.max_tier - c.tier) * ch;
    if (!c.parts.length) {
      parts.push(`<rect class="slot" x="${x + 1.5}" y="${y + 1.5}" width="${cw - 3}" height="${ch - 3}"/>`);
      continue;
    }
    for (const part of c.parts) {
      const box = state.boxes.get(part.unit);
      if (!box) continue;
      const half = part.half !== "all";
      const px = part.half === "aft" ? x + cw / 2 : x;
      const pw = half ? cw / 2 : cw;
      const colour = colourOf(box, box.tier);
      const ink = textOn(colour);
      const cls = ["box", box.unit === state.selected ? "selected" : "", box.unit === state.highlight ? "found" : ""].join(" ").trim();
      const sizeNote = box.size === 20 || box.bay === bay ? `${box.size}'` : `${box.size}' (${pad2(box.bay)})`;
      const sub = fitText([box.holds ? "HOLD" : "", sizeNote, box.pod, box.imdg ? `DG ${box.imdg}` : "", box.reefer ? "RF" : ""].filter(Boolean), pw - 8, 5.6);
      const number = half || pw < 86 ? box.container.slice(4) : box.container;
      parts.push(
        `<g class="${cls}" data-unit="${box.unit}" data-container="${esc(box.container)}" data-row="${box.row}" data-tier="${box.tier}" tabindex="0">` +
          `<title>${esc(box.container)} · ${esc(ref(b.name, box.bay, box.row, box.tier))}</title>` +
          `<rect x="${px + 1.5}" y="${y + 1.5}" width="${pw - 3}" height="${ch - 3}" rx="2" fill="${colour}"/>` +
          `<text class="num" x="${px + pw / 2}" y="${y + 18}" fill="${ink}" text-anchor="middle">${esc(number)}</text>` +
          `<text class="sub" x="${px + pw / 2}" y="${y + 33}" fill="${ink}" text-anchor="middle">${esc(sub)}</text>` +
          `</g>`,
      );
    }
  }
  // Planned moves: the slot they hold, with the container that is coming.
  for (const res of state.reservations.values()) {
    if (res.b !== b.i || res.until <= now) continue;
    const [from, to] = grounds(res.bay, res.size);
    const [vf, vt] = grounds(bay, even ? 40 : 20);
    if (from >= vt || to <= vf) continue;
    const x = left + (res.row - 1) * cw;
    const y = top + (b.max_tier - res.tier) * ch;
    parts.push(
      `<g class="reserved" data-container="${esc(res.container || "")}"><rect x="${x + 3}" y="${y + 3}" width="${cw - 6}" height="${ch - 6}" rx="2"/>` +
        `<text x="${x + cw / 2}" y="${y + ch / 2 + 4}" text-anchor="middle">→ ${esc(res.container || `unit ${res.unit}`)}</text></g>`,
    );
  }
  parts.push("</svg>");
  $("bay").innerHTML = parts.join("");
}

// --- the details panel -------------------------------------------------------------------------

function dwellText(timeIn) {
  if (!timeIn) return "–";
  const days = (nowS() - timeIn) / 86400;
  const when = new Date(timeIn * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${when} (${days < 1 ? `${Math.round(days * 24)} h` : `${days.toFixed(1)} days`})`;
}

let detailsToken = 0;
async function showDetails(unit) {
  const box = state.boxes.get(unit);
  const el = $("details");
  if (!box) {
    el.innerHTML = '<p class="empty">Click a box or find a container.</p>';
    return;
  }
  const b = state.blocks[box.b];
  const token = ++detailsToken;
  const [key, colour] = classify(box);
  el.innerHTML = `
    <h3 class="box-title"><span class="sw" style="background:${colour}"></span>${esc(box.container)}</h3>
    <dl>
      <dt>Position</dt><dd><strong>${esc(ref(b.name, box.bay, box.row, box.tier))}</strong></dd>
      <dt>Line</dt><dd>${esc(box.line || "–")}</dd>
      <dt>Category</dt><dd>${esc(box.category || "–")}</dd>
      <dt>Size</dt><dd>${box.size}'${box.reefer ? " · reefer (powered)" : ""}</dd>
      <dt>Weight class</dt><dd>${esc((WEIGHTS[box.wc] || WEIGHTS[0])[0])}</dd>
      <dt>POD</dt><dd>${esc(box.pod || "–")}</dd>
      <dt>Vessel visit</dt><dd>${esc(box.visit || "–")}</dd>
      <dt>IMDG</dt><dd>${esc(box.imdg || "–")}</dd>
      <dt>Holds</dt><dd class="${box.holds ? "bad" : ""}">${box.holds ? `${box.holds} active` : "none"}</dd>
      <dt>In since</dt><dd>${esc(dwellText(box.timeIn))}</dd>
    </dl>
    <div id="details-more"><p class="empty">Loading unit, holds and history…</p></div>`;
  void key;
  try {
    const [u, holds, where] = await Promise.all([
      getJson(`/api/v1/units/${unit}/`),
      getJson(`/api/v1/holds/?unit=${unit}&page_size=20`),
      getJson(`/api/v1/yard/units/${encodeURIComponent(box.container)}/`),
    ]);
    if (token !== detailsToken) return;
    const holdList = holds.results || holds;
    const active = holdList.filter((h) => h.active);
    const more = [];
    more.push(`<dl>
      <dt>ISO type</dt><dd>${esc(u.iso_type)}</dd>
      <dt>State</dt><dd>${esc(u.state)}</dd>
      <dt>Gross / VGM</dt><dd>${u.gross_weight_kg ? `${fmtInt(u.gross_weight_kg)} kg` : "–"} / ${u.vgm_kg ? `${fmtInt(u.vgm_kg)} kg` : "–"}</dd>
      ${u.reefer_setpoint_c !== null && u.reefer_setpoint_c !== undefined ? `<dt>Set point</dt><dd>${esc(u.reefer_setpoint_c)} °C</dd>` : ""}
      ${u.un_number ? `<dt>UN number</dt><dd>${esc(u.un_number)}</dd>` : ""}
      <dt>POL → POD</dt><dd>${esc(u.pol || "–")} → ${esc(u.pod || "–")}</dd>
      ${u.booking_ref ? `<dt>Booking</dt><dd>${esc(u.booking_ref)}</dd>` : ""}
      ${u.bl_ref ? `<dt>B/L</dt><dd>${esc(u.bl_ref)}</dd>` : ""}
      ${u.seals && u.seals.length ? `<dt>Seals</dt><dd>${esc(u.seals.join(", "))}</dd>` : ""}
    </dl>`);
    more.push("<h4>Holds</h4>");
    more.push(
      active.length
        ? `<ul class="holds">${active.map((h) => `<li><strong>${esc(h.kind)}</strong> ${esc(h.reason)}${h.reference ? ` (${esc(h.reference)})` : ""}<br><small>blocks ${esc((h.blocks || []).join(", "))} · since ${esc(String(h.applied_at).slice(0, 16).replace("T", " "))}</small></li>`).join("")}</ul>`
        : '<p class="empty">No active hold.</p>',
    );
    if (where.planned_moves && where.planned_moves.length) {
      more.push("<h4>Planned moves</h4>");
      more.push(`<ul>${where.planned_moves.map((m) => `<li>${esc(m.kind)} → <strong>${esc(m.to.position)}</strong>${m.reserved_until ? ` <small>until ${esc(String(m.reserved_until).slice(11, 16))}</small>` : ""}</li>`).join("")}</ul>`);
    }
    more.push("<h4>Yard history</h4>");
    more.push(
      where.history && where.history.length
        ? `<ol class="history">${where.history.map((o) => `<li><strong>${esc(o.position)}</strong> <small>${esc(String(o.valid_from).slice(0, 16).replace("T", " "))} → ${o.valid_to ? esc(String(o.valid_to).slice(0, 16).replace("T", " ")) : "now"}</small></li>`).join("")}</ol>`
        : '<p class="empty">No yard history.</p>',
    );
    const box2 = $("details-more");
    if (box2) box2.innerHTML = more.join("");
  } catch (err) {
    const box2 = $("details-more");
    if (box2 && token === detailsToken) box2.innerHTML = `<p class="empty">${esc(err.message)}</p>`;
  }
}

let refreshTimer = null;
function refreshSelected() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => state.selected !== null && showDetails(state.selected), 250);
}

function select(unit) {
  state.selected = unit;
  invalidate("canvas", "bay");
  showDetails(unit);
}

// --- navigation --------------------------------------------------------------------------------

function renderCrumbs() {
  const parts = ['<a href="#" data-go="overview">Terminal</a>'];
  if (state.view === "block" && state.block !== null) {
    const b = state.blocks[state.block];
    parts.push(`<a href="#" data-go="block">Block ${esc(b.name)}</a>`);
    if (state.bay !== null) parts.push(`<span>Bay ${pad2(state.bay)}</span>`);
  }
  $("crumbs").innerHTML = parts.join('<span class="crumb-sep">›</span>');
  const hints = {
    overview: "Drag to pan, wheel to zoom. Click a block to open it. Each cell is a ground stack coloured by its top box.",
    block: "Click a stack to see its bay. Numbers are stack heights; dashed outlines are slots held by planned moves. Esc goes back.",
  };
  $("hint").textContent = hints[state.view];
}

function openBlock(i, { bay = null, keepCam = false } = {}) {
  const changed = state.view !== "block" || state.block !== i;
  state.view = "block";
  state.block = i;
  state.bay = bay;
  sizeCanvas();
  if (changed || !keepCam || !state.cams.block) state.cams.block = fitBlock(state.blocks[i]);
  renderCrumbs();
  invalidate("canvas", "bay");
}

function openBay(bay) {
  const b = state.blocks[state.block];
  if (bay < 1 || bay > 2 * b.bays - 1) return;
  state.bay = bay;
  renderCrumbs();
  invalidate("canvas", "bay");
  // Keep the open bay in sight.
  const c = cam();
  const [sx] = toScreen(gIndex(bay % 2 ? bay : bay - 1) + 0.5, 0);
  const { w } = viewport();
  if (sx < BLOCK_MARGIN.left + 20 || sx > w - BLOCK_MARGIN.right - 20) {
    c.cx = gIndex(bay % 2 ? bay : bay - 1) + 0.5;
  }
}

function closeBlock() {
  state.view = "overview";
  state.block = null;
  state.bay = null;
  sizeCanvas();
  if (!state.cams.overview) state.cams.overview = fitOverview();
  renderCrumbs();
  invalidate("canvas", "bay");
}

async function find(text) {
  const number = text.trim().toUpperCase().replace(/\s+/g, "");
  if (!number) return;
  let unit = state.byContainer.get(number);
  if (unit === undefined && number.length >= 4) {
    for (const [container, u] of state.byContainer) {
      if (container.includes(number)) {
        unit = u;
        break;
      }
    }
  }
  if (unit === undefined) {
    try {
      if (!/^[A-Z]{4}[0-9]{7}$/.test(number)) throw Object.assign(new Error("x"), { status: 404 });
      const where = await getJson(`/api/v1/yard/units/${number}/`);
      say(`${where.container} is not in the yard (${where.position_kind}${where.position_ref ? ` ${where.position_ref}` : ""}, ${where.state}).`);
    } catch (err) {
      say(err.status === 404 ? `No container ${number} in the yard.` : err.message);
    }
    return;
  }
  say("");
  await flyToBox(unit);
}

async function flyToBox(unit) {
  const box = state.boxes.get(unit);
  if (!box) return;
  state.highlight = unit;
  const b = state.blocks[box.b];
  if (state.view === "overview" || state.block !== box.b) {
    if (state.view !== "overview") closeBlock();
    const midU = b.L / 2;
    const midV = b.W / 2;
    const k = Math.min((viewport().w * 0.8) / b.L, 40);
    await flyTo({ cx: b.x_m + midU * b.cos - midV * b.sin, cy: b.y_m + midU * b.sin + midV * b.cos, k }, 420);
  }
  openBlock(box.b, { bay: box.bay, keepCam: state.block === box.b });
  const c = cam();
  const [from] = grounds(box.bay, box.size);
  const target = gIndex(from) + (box.size === 20 ? 0.5 : 1);
  const [sx] = toScreen(target, 0);
  const { w } = viewport();
  if (sx < BLOCK_MARGIN.left + 30 || sx > w - BLOCK_MARGIN.right - 30) c.cx = target;
  select(unit);
}

// --- frame scheduling --------------------------------------------------------------------------

function invalidate(...what) {
  for (const w of what) state.dirty[w] = true;
  schedule();
}

function schedule() {
  if (state.frame) return;
  state.frame = requestAnimationFrame(draw);
}

let legendAt = 0;
function draw() {
  state.frame = 0;
  const t0 = performance.now();
  if (state.dirty.canvas) {
    state.dirty.canvas = false;
    const dpr = sizeCanvas();
    if (!state.cams.overview) state.cams.overview = fitOverview();
    if (state.view === "block" && state.block !== null) drawBlock(dpr);
    else drawOverview(dpr);
  }
  if (state.dirty.bay) {
    state.dirty.bay = false;
    renderBay();
  }
  if (state.dirty.legend) {
    // Counting is cheap, but on a busy 50k-slot yard once every 300 ms is plenty.
    if (t0 - legendAt > 300 || !state.unpainted.length) {
      state.dirty.legend = false;
      legendAt = t0;
      renderLegend();
    } else setTimeout(schedule, 320);
  }
  if (state.status === "live") setConn("live");
  state.paints += 1;
  state.lastPaintMs = performance.now() - t0;
  if (state.unpainted.length) {
    const painted = wallNow();
    for (const u of state.unpainted) {
      state.latency.push({ ...u, paintedAt: painted, paintMs: state.lastPaintMs });
    }
    if (state.latency.length > 2000) state.latency.splice(0, state.latency.length - 2000);
    state.unpainted = [];
  }
}

// --- input -------------------------------------------------------------------------------------

function hitOverview(sx, sy) {
  const [wx, wy] = toWorld(sx, sy);
  for (let i = state.blocks.length - 1; i >= 0; i--) {
    const b = state.blocks[i];
    const dx = wx - b.x_m;
    const dy = wy - b.y_m;
    const u = dx * b.cos + dy * b.sin;
    const v = -dx * b.sin + dy * b.cos;
    const pad = 4 / cam().k; // a few pixels of slack around thin blocks
    if (u >= -pad && u <= b.L + pad && v >= -pad && v <= b.W + pad) {
      return { block: i, g: Math.min(b.bays - 1, Math.max(0, Math.floor(u / BAY_PITCH_M))), row: Math.min(b.rows, Math.max(1, Math.floor(v / ROW_PITCH_M) + 1)) };
    }
  }
  return null;
}

function hitBlock(sx, sy) {
  const b = state.blocks[state.block];
  const { w, h } = viewport();
  if (sx < BLOCK_MARGIN.left || sx > w - BLOCK_MARGIN.right || sy > h - BLOCK_MARGIN.bottom) return null;
  const [x, y] = toWorld(sx, sy);
  const g = Math.floor(x);
  if (g < 0 || g >= b.bays) return null;
  if (sy < BLOCK_MARGIN.top) return { g, row: null }; // the bay numbers
  const row = Math.floor(y / ROW_ASPECT) + 1;
  if (row < 1 || row > b.rows) return null;
  return { g, row };
}

function stackText(b, g, row) {
  const [u, t] = topOf(b, g, row);
  if (!u) return `${b.name} bay ${pad2(2 * g + 1)} row ${row}: empty`;
  const box = state.boxes.get(u);
  return `${b.name} bay ${pad2(2 * g + 1)} row ${row}: ${t} high · top ${box.container} (${box.size}', ${legendLabel(state.mode, classify(box, state.mode, t)[0])})`;
}

function onClick(sx, sy) {
  if (state.view === "overview") {
    const hit = hitOverview(sx, sy);
    if (hit) openBlock(hit.block);
    return;
  }
  const hit = hitBlock(sx, sy);
  if (!hit) return;
  const b = state.blocks[state.block];
  if (hit.row === null) return openBay(2 * hit.g + 1);
  const [u] = topOf(b, hit.g, hit.row);
  const box = u ? state.boxes.get(u) : null;
  openBay(box && box.size !== 20 && grounds(box.bay, box.size)[1] - grounds(box.bay, box.size)[0] === 3 ? box.bay : 2 * hit.g + 1);
  if (box) select(u);
}

function onHover(sx, sy) {
  const tip = $("tooltip");
  let text = "";
  let hover = null;
  if (state.view === "overview") {
    const hit = hitOverview(sx, sy);
    if (hit) {
      const b = state.blocks[hit.block];
      hover = { block: hit.block };
      const cap = b.bays * b.rows * b.max_tier;
      text = `${b.name} · ${b.kind} · ${b.bays}×${b.rows}×${b.max_tier} · ${fmtInt(b.boxes)} boxes, ${cap ? Math.round((100 * b.teu) / cap) : 0} % full`;
      if (BAY_PITCH_M * cam().k >= 5) text += `\n${stackText(b, hit.g, hit.row)}`;
    }
  } else {
    const hit = hitBlock(sx, sy);
    if (hit && hit.row !== null) text = stackText(state.blocks[state.block], hit.g, hit.row);
    else if (hit) text = `bay ${pad2(2 * hit.g + 1)}: click for its cross-section`;
  }
  const before = state.hover ? state.hover.block : null;
  state.hover = hover;
  if ((hover ? hover.block : null) !== before) invalidate("canvas");
  canvas.style.cursor = text ? "pointer" : "grab";
  tip.hidden = !text;
  if (text) {
    tip.textContent = text;
    const { w } = viewport();
    tip.style.left = `${Math.min(sx + 14, w - 260)}px`;
    tip.style.top = `${sy + 16}px`;
  }
}

let drag = null;
canvas.addEventListener("pointerdown", (e) => {
  canvas.setPointerCapture(e.pointerId);
  drag = { x: e.offsetX, y: e.offsetY, moved: false, cx: cam().cx, cy: cam().cy };
  state.flight = null;
});
canvas.addEventListener("pointermove", (e) => {
  if (!drag) return onHover(e.offsetX, e.offsetY);
  const dx = e.offsetX - drag.x;
  const dy = e.offsetY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return;
  drag.moved = true;
  canvas.style.cursor = "grabbing";
  $("tooltip").hidden = true;
  const c = cam();
  c.cx = drag.cx - dx / c.k;
  c.cy = drag.cy - dy / c.k;
  invalidate("canvas");
});
canvas.addEventListener("pointerup", (e) => {
  const d = drag;
  drag = null;
  canvas.style.cursor = "grab";
  if (d && !d.moved) onClick(e.offsetX, e.offsetY);
});
canvas.addEventListener("pointerleave", () => {
  $("tooltip").hidden = true;
  if (state.hover) {
    state.hover = null;
    invalidate("canvas");
  }
});
canvas.addEventListener(
  "wheel",
  (e) => {
    e.preventDefault();
    state.flight = null;
    zoomAt(e.offsetX, e.offsetY, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
  },
  { passive: false },
);

function centreZoom(factor) {
  const { w, h } = viewport();
  zoomAt(w / 2, h / 2, factor);
}
$("zoom-in").addEventListener("click", () => centreZoom(1.4));
$("zoom-out").addEventListener("click", () => centreZoom(1 / 1.4));
$("fit").addEventListener("click", () => {
  if (state.view === "block") state.cams.block = fitBlock(state.blocks[state.block]);
  else state.cams.overview = fitOverview();
  invalidate("canvas");
});
$("mode").addEventListener("change", (e) => {
  state.mode = e.target.value;
  state.focus = null;
  invalidate("canvas", "bay", "legend");
  if (state.selected !== null) showDetails(state.selected);
});
$("legend").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-key]");
  if (!li) return;
  state.focus = state.focus === li.dataset.key ? null : li.dataset.key;
  invalidate("canvas", "bay", "legend");
});
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  find($("search").value);
});
$("search").addEventListener("input", (e) => {
  const text = e.target.value.trim().toUpperCase();
  const hints = $("search-hints");
  if (text.length < 3) {
    hints.innerHTML = "";
    return;
  }
  const found = [];
  for (const container of state.byContainer.keys()) {
    if (container.includes(text)) found.push(container);
    if (found.length >= 8) break;
  }
  hints.innerHTML = found.map((c) => `<option value="${esc(c)}">`).join("");
});
$("crumbs").addEventListener("click", (e) => {
  const a = e.target.closest("[data-go]");
  if (!a) return;
  e.preventDefault();
  if (a.dataset.go === "overview") closeBlock();
  else {
    state.bay = null;
    renderCrumbs();
    invalidate("canvas", "bay");
  }
});
$("bay").addEventListener("click", (e) => {
  const g = e.target.closest("g.box");
  if (g) select(Number(g.dataset.unit));
});
$("bay").addEventListener("keydown", (e) => {
  const g = e.target.closest("g.box");
  if (g && (e.key === "Enter" || e.key === " ")) {
    e.preventDefault();
    select(Number(g.dataset.unit));
  }
});
$("bay-prev").addEventListener("click", () => openBay(state.bay - 1));
$("bay-next").addEventListener("click", () => openBay(state.bay + 1));
$("bay-close").addEventListener("click", () => {
  state.bay = null;
  renderCrumbs();
  invalidate("canvas", "bay");
});
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea")) return;
  if (e.key === "Escape") {
    if (state.bay !== null) {
      state.bay = null;
      renderCrumbs();
      invalidate("canvas", "bay");
    } else if (state.view === "block") closeBlock();
  } else if (e.key === "/") {
    e.preventDefault();
    $("search").focus();
  } else if (e.key === "+" || e.key === "=") centreZoom(1.4);
  else if (e.key === "-") centreZoom(1 / 1.4);
  else if (e.key === "0") $("fit").click();
  else if (state.bay !== null && e.key === "ArrowLeft") openBay(state.bay - 1);
  else if (state.bay !== null && e.key === "ArrowRight") openBay(state.bay + 1);
});
let observedWidth = 0;
new ResizeObserver(() => {
  sizeCanvas();
  const width = canvas.clientWidth;
  if (width !== observedWidth && state.blocks.length) {
    // A new width: fit again (a height change from switching views keeps the cameras).
    state.cams.overview = fitOverview();
    if (state.view === "block") state.cams.block = fitBlock(state.blocks[state.block]);
  }
  observedWidth = width;
  invalidate("canvas", "bay");
}).observe(canvas.parentElement);
// Dwell colours and expired reservations change with the clock alone.
setInterval(() => invalidate("canvas", "bay", "legend"), 60_000);

// --- the read-only hook for tests ---------------------------------------------------------------

function blockNamed(name) {
  return state.blockByName.get(name) || null;
}

window.yardMap = {
  get seq() {
    return state.seq;
  },
  get view() {
    return state.view;
  },
  get mode() {
    return state.mode;
  },
  get block() {
    return state.block === null ? null : state.blocks[state.block].name;
  },
  get bay() {
    return state.bay;
  },
  get selected() {
    const box = state.selected !== null ? state.boxes.get(state.selected) : null;
    return box ? box.container : null;
  },
  get highlighted() {
    const box = state.highlight !== null ? state.boxes.get(state.highlight) : null;
    return box ? box.container : null;
  },
  get status() {
    return state.status;
  },
  get boxCount() {
    return state.boxes.size;
  },
  get paints() {
    return state.paints;
  },
  get lastPaintMs() {
    return state.lastPaintMs;
  },
  get ready() {
    return state.blocks.length > 0 && !state.loading;
  },
  /** The container standing at block/bay/row/tier (an even bay answers for its 40' boxes). */
  boxAt(block, bay, row, tier) {
    const b = blockNamed(block);
    if (!b) return null;
    const u = unitAt(b, gIndex(bay % 2 ? bay : bay - 1), row, tier);
    const box = u ? state.boxes.get(u) : null;
    if (!box) return null;
    if (bay % 2 === 0 && box.bay !== bay) return null;
    return box.container;
  },
  whereIs(container) {
    const box = state.boxes.get(state.byContainer.get(container));
    return box ? { block: state.blocks[box.b].name, bay: box.bay, row: box.row, tier: box.tier, size: box.size, holds: box.holds } : null;
  },
  stackHeight(block, groundBay, row) {
    const b = blockNamed(block);
    return b ? topOf(b, gIndex(groundBay), row)[1] : null;
  },
  reservations() {
    return [...state.reservations.values()].filter((r) => r.until > nowS()).map((r) => ({ id: r.id, block: state.blocks[r.b].name, bay: r.bay, row: r.row, tier: r.tier, container: r.container }));
  },
  legend() {
    return legendEntries().map(({ label, colour, count }) => ({ label, colour, count }));
  },
  /** The canvas pixel (CSS px, relative to the canvas) of a stack's centre in the current view. */
  screenOf(block, groundBay, row) {
    const b = blockNamed(block);
    if (!b) return null;
    const g = gIndex(groundBay);
    if (state.view === "block") return toScreen(g + 0.5, (row - 0.5) * ROW_ASPECT);
    const u = (g + 0.5) * BAY_PITCH_M;
    const v = (row - 0.5) * ROW_PITCH_M;
    return toScreen(b.x_m + u * b.cos - v * b.sin, b.y_m + u * b.sin + v * b.cos);
  },
  /** Each applied event: {seq, type, ts, receivedAt, paintedAt, paintMs} (wall-clock ms). */
  latency() {
    return state.latency.slice();
  },
  /** Every box as "container@block.bay.row.tier", sorted: compare with the server's snapshot. */
  positions() {
    return [...state.boxes.values()].map((x) => `${x.container}@${ref(state.blocks[x.b].name, x.bay, x.row, x.tier)}`).sort();
  },
  reload: () => resync(),
  /** Draw the current canvas view `n` times: {mean, max} milliseconds per frame. */
  benchDraw(n = 20) {
    const dpr = sizeCanvas();
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      if (state.view === "block" && state.block !== null) drawBlock(dpr);
      else drawOverview(dpr);
      times.push(performance.now() - t0);
    }
    return { mean: times.reduce((a, b) => a + b, 0) / n, max: Math.max(...times) };
  },
  openBlock: (name) => openBlock(blockNamed(name).i),
  zoomBy: (factor) => centreZoom(factor),
};

// --- start -------------------------------------------------------------------------------------

async function start() {
  renderCrumbs();
  if (!state.terminal) {
    setConn("offline", "No terminal");
    say("There is no terminal yet: load the demo (manage.py seed_demo) or create one.");
    return;
  }
  try {
    await loadSnapshot();
  } catch (err) {
    say(`The yard could not be loaded: ${err.message}`);
    setConn("offline", "Not loaded");
    return;
  }
  if (!state.blocks.length) say("This terminal has no yard blocks yet.");
  state.cams.overview = fitOverview();
  invalidate("canvas", "bay", "legend");
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
