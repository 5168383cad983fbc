// stowage_plan.js: the bay plan page of one vessel visit.
//
// Loads the vessel profile and the arrival/departure plans from /api/v1/stowage/vessel-visits/
// and draws them as SVG: a ship profile (side view, 20' bays fore to aft, deck above the hatch
// covers, hold below) and one cross-section per 20' bay (rows × tiers seen from aft: ISO 9711
// rows, even to port on the left, 00 on the centre line, odd to starboard on the right). Cells
// are coloured by port of discharge, weight, reefer, dangerous goods or move. Terminal staff
// start the planner (a solver run whose progress arrives over the WebSocket), drag a box of the
// departure plan to another cell (each hovered cell is checked with check-move and turns green
// or red with the reasons; a drop posts the move with If-Match) and undo the last move. Plan
// changes by anyone arrive live (live.js: snapshot + seq, gaps replayed) and redraw the bays
// they touch.
import { connectLive } from "./live.js";

const root = document.getElementById("bayplan");
const page = JSON.parse(document.getElementById("bayplan-data").textContent);
const $ = (id) => document.getElementById(id);
const API = `/api/v1/stowage/vessel-visits/${page.visit}`;
const SVGNS = "http://www.w3.org/2000/svg";
const CW = 30; // cell width in a bay section (px)
const CH = 18; // cell height
const PALETTE = ["#3b7dd8", "#e0a030", "#3aa675", "#c0504d", "#8c62c4", "#2fb3c4", "#d0669e", "#7f8c2d", "#a0522d", "#5a6a8a"];
const MOVE_COLOURS = { discharge: "#e08a2c", load: "#3aa675", restow: "#8c62c4", remain: "#8fa8c4" };
const WEIGHT_BINS = [
  [0, 10000, "#d6e9f8", "under 10 t"],
  [10000, 20000, "#8fbfe6", "10–20 t"],
  [20000, 30000, "#3b7dd8", "20–30 t"],
  [30000, Infinity, "#173f7a", "30 t and over"],
];
const UNKNOWN = "#d9d9d9";
const HERE = "#fff1b8"; // boxes for this port (to discharge)

/** Black or white text, whichever reads on ``fill`` (#rrggbb). */
function inkOn(fill) {
  const n = parseInt(fill.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b < 140 ? "#ffffff" : "#14202d";
}

const state = {
  kind: page.plans.includes("departure") ? "departure" : "arrival",
  mode: "pod",
  layout: null,
  plans: { arrival: null, departure: null },
  ship: null, // geometry derived from the layout
  selected: null, // container number
  focusBay: null,
  run: null,
  drag: null,
  busy: false,
};
window.__stowage = state; // for tests and for the curious

// --- API ---------------------------------------------------------------------------------------

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function api(method, url, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") {
    init.headers["X-CSRFToken"] = csrf();
    init.headers["Content-Type"] = "application/json";
    if (method === "POST") init.headers["Idempotency-Key"] = crypto.randomUUID();
    init.body = body === undefined ? "{}" : JSON.stringify(body);
  }
  const response = await fetch(url, init);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const err = new Error((data && data.message) || `${response.status} ${response.statusText}`);
    err.status = response.status;
    err.data = data;
    throw err;
  }
  return data;
}

function say(text, ok = false) {
  const el = $("message");
  el.hidden = !text;
  el.textContent = text || "";
  el.classList.toggle("ok", ok);
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const pad2 = (n) => String(n).padStart(2, "0");
const pad3 = (n) => String(n).padStart(3, "0");
const cellCode = (bay, row, tier) => `${pad3(bay)}${pad2(row)}${pad2(tier)}`;

// --- model -------------------------------------------------------------------------------------

/** The geometry of the ship: 20' bays fore to aft, rows port → starboard, hold and deck tiers. */
function shipGeometry(layout) {
  const bays = [...layout.bays].sort((a, b) => a.bay - b.bay);
  const rowsSet = new Set();
  const hold = new Set();
  const deck = new Set();
  const stacks = new Map(); // `${bay}` -> [{row, deck, tiers, reefer}]
  for (const s of layout.stacks) {
    rowsSet.add(s.row);
    for (const t of s.tiers) (s.deck ? deck : hold).add(t);
    if (!stacks.has(s.bay)) stacks.set(s.bay, []);
    stacks.get(s.bay).push(s);
  }
  // Seen from aft: port (even rows) on the left, highest first; 00; starboard (odd) ascending.
  const rows = [...rowsSet].sort((a, b) => {
    const ka = a % 2 === 0 ? -a : a;
    const kb = b % 2 === 0 ? -b : b;
    return ka - kb;
  });
  return {
    bays,
    pair: new Map(bays.map((b) => [b.bay, b.pair])),
    rows,
    hold: [...hold].sort((a, b) => b - a), // top first
    deck: [...deck].sort((a, b) => b - a),
    stacks,
  };
}

/** A plan's cells as objects, indexed by 20' bay and by container. */
function indexPlan(plan) {
  const f = plan.fields;
  const at = (name) => f.indexOf(name);
  const ix = Object.fromEntries(f.map((name) => [name, at(name)]));
  const byBay = new Map();
  const byBox = new Map();
  for (const row of plan.cells) {
    const pos = row[ix.position];
    const c = {
      position: pos,
      bay: Number(pos.slice(0, 3)),
      row: Number(pos.slice(3, 5)),
      tier: Number(pos.slice(5, 7)),
      container: row[ix.container],
      iso_type: row[ix.iso_type],
      move: row[ix.move],
      pol: row[ix.pol],
      pod: row[ix.pod],
      weight_kg: row[ix.weight_kg],
      vgm_kg: row[ix.vgm_kg],
      operator: row[ix.operator],
      reefer_c: row[ix.reefer_c],
      imdg: row[ix.imdg],
      unit: row[ix.unit],
      confirmed: row[ix.confirmed],
    };
    c.forty = c.bay % 2 === 0;
    byBox.set(c.container, c);
    const twenty = c.forty ? [c.bay - 1, c.bay + 1] : [c.bay];
    for (const b of twenty) {
      if (!byBay.has(b)) byBay.set(b, new Map());
      byBay.get(b).set(`${c.row},${c.tier}`, c);
    }
  }
  return { ...plan, byBay, byBox };
}

function currentPlan() {
  return state.plans[state.kind];
}

// --- colours -----------------------------------------------------------------------------------

function rotation() {
  const dep = state.plans.departure;
  const fromPlan = dep && dep.summary && dep.summary.rotation ? [...dep.summary.rotation] : [];
  const pods = new Set();
  for (const k of ["arrival", "departure"]) {
    const p = state.plans[k];
    if (p) for (const c of p.byBox.values()) if (c.pod) pods.add(c.pod);
  }
  const rest = [...pods].filter((p) => !fromPlan.includes(p)).sort();
  return [...fromPlan, ...rest];
}

function colourOf(c) {
  switch (state.mode) {
    case "pod": {
      const i = rotation().indexOf(c.pod);
      if (c.pod === page.port) return HERE;
      return i < 0 ? UNKNOWN : PALETTE[i % PALETTE.length];
    }
    case "weight": {
      const kg = c.vgm_kg || c.weight_kg;
      if (!kg) return UNKNOWN;
      return WEIGHT_BINS.find(([lo, hi]) => kg >= lo && kg < hi)[2];
    }
    case "reefer":
      return c.reefer_c !== null && c.reefer_c !== undefined ? "#2fa3d6" : "#eef1f4";
    case "dg":
      return c.imdg ? "#e8543f" : "#eef1f4";
    case "move":
      return MOVE_COLOURS[c.move] || UNKNOWN;
    default:
      return UNKNOWN;
  }
}

function labelOf(c) {
  switch (state.mode) {
    case "pod":
      return (c.pod || "?").slice(2);
    case "weight": {
      const kg = c.vgm_kg || c.weight_kg;
      return kg ? String(Math.round(kg / 1000)) : "–";
    }
    case "reefer":
      return c.reefer_c !== null && c.reefer_c !== undefined ? `${c.reefer_c}°` : "";
    case "dg":
      return c.imdg ? c.imdg.split(",")[0] : "";
    case "move":
      return { discharge: "D", load: "L", restow: "R", remain: "" }[c.move] || "";
    default:
      return "";
  }
}

function legendItems() {
  switch (state.mode) {
    case "pod":
      return [[HERE, `${page.port} (here)`], ...rotation().filter((p) => p !== page.port).map((p) => [PALETTE[rotation().indexOf(p) % PALETTE.length], p])];
    case "weight":
      return [...WEIGHT_BINS.map((b) => [b[2], b[3]]), [UNKNOWN, "no weight"]];
    case "reefer":
      return [["#2fa3d6", "reefer (set point)"], ["#eef1f4", "not a reefer"]];
    case "dg":
      return [["#e8543f", "dangerous goods (class)"], ["#eef1f4", "none"]];
    case "move":
      return Object.entries(MOVE_COLOURS).map(([k, v]) => [v, k]);
    default:
      return [];
  }
}

function renderLegend() {
  const ul = $("legend");
  ul.replaceChildren(
    ...legendItems().map(([colour, label]) => {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = colour;
      li.append(sw, document.createTextNode(label));
      return li;
    }),
  );
  const plan = currentPlan();
  if (!plan) {
    $("counts").textContent = `No ${state.kind} plan yet.`;
    return;
  }
  const moves = {};
  for (const c of plan.byBox.values()) moves[c.move] = (moves[c.move] || 0) + 1;
  $("counts").textContent = `${plan.byBox.size} boxes · ` + Object.entries(moves).map(([k, v]) => `${v} ${k}`).join(" · ");
}

// --- ship profile ------------------------------------------------------------------------------

function renderProfile() {
  const host = $("profile");
  const ship = state.ship;
  if (!ship) {
    host.innerHTML = '<p class="empty">This vessel has no stowage profile yet: upload its arrival BAPLIE on the stowage page.</p>';
    return;
  }
  const plan = currentPlan();
  // Scale to the card: a feeder gets big cells, a 24-bay ship still fits without scrolling.
  const w = Math.max(12, Math.min(44, Math.floor(760 / Math.max(1, ship.bays.length))));
  const h = Math.max(6, Math.min(14, Math.floor(160 / Math.max(1, ship.deck.length + ship.hold.length))));
  const bow = 28;
  const deckH = ship.deck.length * h;
  const gap = 6;
  const holdH = ship.hold.length * h;
  const width = bow + ship.bays.length * w + 20;
  const height = 16 + deckH + gap + holdH + 18;
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Ship profile" });
  const top = 16;
  const deckY = top + deckH + gap / 2;
  // Hull: bow on the left (fore), stern on the right (aft).
  const hullTop = deckY;
  const hullBottom = deckY + gap / 2 + holdH + 4;
  svg.append(
    el("path", {
      d: `M${bow - 24},${hullTop} L${width - 8},${hullTop} L${width - 8},${hullBottom - 6} L${width - 20},${hullBottom} L${bow},${hullBottom} Z`,
      fill: "#f4f6f8",
      stroke: "#7b8a99",
    }),
  );
  svg.append(el("text", { x: 2, y: 11, class: "axis", "font-size": 9, fill: "#6b7785" }, "fore"));
  svg.append(el("text", { x: width - 28, y: 11, class: "axis", "font-size": 9, fill: "#6b7785" }, "aft"));
  ship.bays.forEach((b, i) => {
    const x = bow + i * w;
    const g = el("g", { class: "col", "data-bay": b.bay });
    g.append(el("rect", { class: "bg", x, y: top, width: w, height: height - top - 14, fill: "transparent" }));
    const stacks = ship.stacks.get(b.bay) || [];
    const cellsHere = plan ? plan.byBay.get(b.bay) : null;
    const tierRows = [...ship.deck.map((t, k) => [t, top + k * h]), ...ship.hold.map((t, k) => [t, top + deckH + gap + k * h])];
    for (const [tier, y] of tierRows) {
      const rowsWith = stacks.filter((s) => s.tiers.includes(tier)).map((s) => s.row);
      if (!rowsWith.length) continue;
      const boxes = cellsHere ? rowsWith.map((r) => cellsHere.get(`${r},${tier}`)).filter(Boolean) : [];
      let fill = "#ffffff";
      let opacity = 1;
      if (boxes.length) {
        const counts = new Map();
        for (const c of boxes) counts.set(colourOf(c), (counts.get(colourOf(c)) || 0) + 1);
        fill = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
        opacity = 0.35 + (0.65 * boxes.length) / rowsWith.length;
      }
      const r = el("rect", { x: x + 1, y: y + 0.5, width: w - 2, height: h - 1, fill, "fill-opacity": opacity, stroke: boxes.length ? "#51606f" : "#c7d0da", "stroke-width": 0.6 });
      r.append(el("title", {}, `Bay ${pad3(b.bay)} tier ${pad2(tier)}: ${boxes.length} of ${rowsWith.length} cells filled`));
      g.append(r);
    }
    g.append(el("text", { x: x + w / 2, y: height - 3, "text-anchor": "middle", "font-size": 8, fill: "#6b7785" }, pad2(b.bay)));
    g.addEventListener("click", () => focusBay(b.bay));
    svg.append(g);
  });
  // Hatch covers: the line between deck and hold.
  svg.append(el("line", { x1: bow, x2: bow + ship.bays.length * w, y1: deckY, y2: deckY, stroke: "#12324f", "stroke-width": 2 }));
  host.replaceChildren(svg);
}

function focusBay(bay) {
  state.focusBay = bay;
  for (const s of document.querySelectorAll(".sp-bay")) s.classList.toggle("focus", Number(s.dataset.bay) === bay);
  const target = document.querySelector(`.sp-bay[data-bay="${bay}"]`);
  if (target) target.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

// --- bay sections ------------------------------------------------------------------------------

function bayTitle(b) {
  return b.pair ? `Bay ${pad2(b.bay)} (${pad2(b.pair)})` : `Bay ${pad2(b.bay)}`;
}

function sectionFor(b) {
  const ship = state.ship;
  const plan = currentPlan();
  const stacks = ship.stacks.get(b.bay) || [];
  const rows = ship.rows;
  const left = 22;
  const topPad = 14;
  const gap = 8;
  const deckH = ship.deck.length * CH;
  const holdH = ship.hold.length * CH;
  const width = left + rows.length * CW + 4;
  const height = topPad + deckH + gap + holdH + 4;
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "data-bay": b.bay, role: "img", "aria-label": bayTitle(b) });
  rows.forEach((r, i) => svg.append(el("text", { x: left + i * CW + CW / 2, y: 10, "text-anchor": "middle", class: "axis" }, pad2(r))));
  const tierY = new Map([...ship.deck.map((t, k) => [t, topPad + k * CH]), ...ship.hold.map((t, k) => [t, topPad + deckH + gap + k * CH])]);
  for (const [t, y] of tierY) svg.append(el("text", { x: 2, y: y + CH - 4, class: "axis" }, pad2(t)));
  svg.append(el("line", { x1: left, x2: width - 4, y1: topPad + deckH + gap / 2, y2: topPad + deckH + gap / 2, stroke: "#12324f", "stroke-width": 1.5 }));
  const cells = plan ? plan.byBay.get(b.bay) : null;
  for (const s of stacks) {
    const x = left + rows.indexOf(s.row) * CW;
    for (const t of s.tiers) {
      const y = tierY.get(t);
      const c = cells ? cells.get(`${s.row},${t}`) : null;
      const rect = el("rect", { class: "slot", x: x + 1, y: y + 1, width: CW - 2, height: CH - 2, "data-bay": b.bay, "data-row": s.row, "data-tier": t });
      if ((s.reefer_tiers || []).includes(t)) rect.setAttribute("data-plug", "1");
      if (c) {
        rect.classList.add("box");
        rect.setAttribute("data-box", c.container);
        rect.style.fill = colourOf(c);
        if (c.container === state.selected) rect.classList.add("sel");
        const title = el("title", {}, `${c.container} ${c.iso_type} ${c.position} → ${c.pod || "?"} ${c.move}`);
        rect.append(title);
      }
      svg.append(rect);
      if (c) {
        const label = labelOf(c);
        if (label) svg.append(el("text", { x: x + CW / 2, y: y + CH - 5, "text-anchor": "middle", style: `fill:${inkOn(colourOf(c))}` }, label));
        if (c.forty) svg.append(el("line", { x1: x + 3, x2: x + CW - 3, y1: y + 3, y2: y + 3, stroke: "#14202d", "stroke-width": 0.8 }));
      } else if ((s.reefer_tiers || []).includes(t)) {
        svg.append(el("text", { x: x + CW / 2, y: y + CH - 4, "text-anchor": "middle", class: "axis" }, "⚡"));
      }
    }
  }
  return svg;
}

function renderBays(only) {
  const host = $("bays");
  if (!state.ship) {
    host.replaceChildren();
    return;
  }
  const wanted = only ? new Set(only) : null;
  for (const b of state.ship.bays) {
    if (wanted && !wanted.has(b.bay)) continue;
    let box = host.querySelector(`.sp-bay[data-bay="${b.bay}"]`);
    if (!box) {
      box = document.createElement("div");
      box.className = "sp-bay";
      box.dataset.bay = b.bay;
      const h3 = document.createElement("h3");
      h3.textContent = bayTitle(b);
      box.append(h3, document.createElement("div"));
      host.append(box);
    }
    box.classList.toggle("focus", state.focusBay === b.bay);
    box.lastChild.replaceChildren(sectionFor(b));
  }
}

function render(onlyBays) {
  renderLegend();
  renderProfile();
  renderBays(onlyBays);
  renderSummary();
  const plan = currentPlan();
  $("revision").textContent = plan ? `${state.kind} plan · revision ${plan.revision} · ${plan.status}` : `no ${state.kind} plan yet`;
  for (const b of document.querySelectorAll(".seg button")) b.setAttribute("aria-pressed", String(b.dataset.kind === state.kind));
  const undo = $("undo");
  if (undo) undo.disabled = !(state.kind === "departure" && state.plans.departure && state.plans.departure.can_undo) || state.busy;
}

// --- details and summary -----------------------------------------------------------------------

function dl(pairs) {
  const d = document.createElement("dl");
  for (const [k, v] of pairs) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v === null || v === undefined || v === "" ? "–" : String(v);
    d.append(dt, dd);
  }
  return d;
}

function showDetails(number) {
  state.selected = number;
  const plan = currentPlan();
  const c = plan && plan.byBox.get(number);
  const host = $("details");
  if (!c) {
    host.innerHTML = '<p class="empty">Click a box.</p>';
    return;
  }
  host.replaceChildren(
    dl([
      ["Container", c.container],
      ["Cell", c.position],
      ["Size-type", c.iso_type],
      ["Move", c.move + (c.confirmed ? " (done)" : "")],
      ["POL → POD", `${c.pol || "?"} → ${c.pod || "?"}`],
      ["Gross", c.weight_kg ? `${c.weight_kg} kg` : null],
      ["VGM", c.vgm_kg ? `${c.vgm_kg} kg` : null],
      ["Operator", c.operator],
      ["Reefer", c.reefer_c !== null && c.reefer_c !== undefined ? `${c.reefer_c} °C` : "no"],
      ["IMDG", c.imdg],
      ["Unit", c.unit],
    ]),
  );
  for (const r of document.querySelectorAll("rect.slot.sel")) r.classList.remove("sel");
  for (const r of document.querySelectorAll(`rect.slot[data-box="${number}"]`)) r.classList.add("sel");
}

function renderSummary() {
  const host = $("summary");
  const dep = state.plans.departure;
  const s = dep && dep.summary;
  if (!s || !Object.keys(s).length) {
    host.innerHTML = `<p class="empty">${dep ? "Saved without a planner run." : "No departure plan yet."}</p>`;
    return;
  }
  const parts = [
    dl([
      ["Status", s.status],
      ["Objective", s.objective],
      ["Bound", s.bound],
      ["Seconds", s.seconds],
      ["Placed", s.placed],
      ["Unplaced", (s.unplaced || []).length],
      ["Rotation", `${(s.rotation || []).join(" → ")} (${s.rotation_source})`],
      ["Cranes", `${s.cranes} (${s.cranes_source})`],
    ]),
  ];
  const terms = Object.entries(s.terms || {});
  if (terms.length) {
    const h = document.createElement("h3");
    h.textContent = "Objective terms";
    parts.push(h, dl(terms));
  }
  if ((s.unplaced || []).length) {
    const h = document.createElement("h3");
    h.textContent = "Not loaded";
    const ul = document.createElement("ul");
    ul.id = "unplaced";
    for (const u of s.unplaced) {
      const li = document.createElement("li");
      li.textContent = `${u.box}: ${u.reason}`;
      ul.append(li);
    }
    parts.push(h, ul);
  }
  host.replaceChildren(...parts);
}

// --- loading -----------------------------------------------------------------------------------

async function loadPlan(kind) {
  try {
    const data = await api("GET", `${API}/${kind}-plan/`);
    state.plans[kind] = indexPlan(data);
  } catch (err) {
    if (err.status !== 404) throw err;
    state.plans[kind] = null;
  }
}

async function loadAll() {
  if (page.has_profile) {
    const profile = await api("GET", `${API}/profile/`);
    state.layout = profile.layout;
    state.ship = shipGeometry(profile.layout);
  }
  await Promise.all(page.plans.map((k) => loadPlan(k)));
  render();
}

// --- planner run -------------------------------------------------------------------------------

function showRun(run) {
  $("progress").hidden = false;
  $("progress-bar").style.width = `${Math.round(100 * (run.progress || 0))}%`;
  const parts = [`Planning: ${run.status}`];
  if (run.message) parts.push(run.message);
  if (run.objective !== null && run.objective !== undefined) parts.push(`objective ${run.objective}`);
  $("progress-text").textContent = parts.join(" · ");
  if (["succeeded", "failed", "cancelled"].includes(run.status)) {
    state.run = null;
    $("plan").disabled = false;
    $("progress-bar").style.width = "100%";
    if (run.status === "succeeded") {
      $("progress-text").textContent = "Planning succeeded: the departure plan was checked and saved.";
      reloadAfterPlan();
    } else {
      api("GET", `/api/v1/solver-runs/${run.id}/`).then((full) => {
        $("progress-text").textContent = `Planning ${run.status}${full.error ? `: ${full.error}` : ""}`;
      });
    }
  }
}

async function reloadAfterPlan() {
  if (!page.plans.includes("departure")) page.plans.push("departure");
  await loadPlan("departure");
  state.kind = "departure";
  render();
}

async function startPlan() {
  const limit = Number($("time-limit").value) || 10;
  $("plan").disabled = true;
  say("");
  try {
    const run = await api("POST", `${API}/departure-plan/optimise/`, { time_limit: limit });
    state.run = run.id;
    showRun(run);
    // The run may have finished before our socket saw it: ask once more.
    const now = await api("GET", `/api/v1/solver-runs/${run.id}/`);
    if (state.run === run.id && now.status !== run.status) showRun(now);
  } catch (err) {
    $("plan").disabled = false;
    say(err.message);
  }
}

// --- drag and drop -----------------------------------------------------------------------------

function targetCell(rect, c) {
  const bay = Number(rect.dataset.bay);
  const to = { bay, row: Number(rect.dataset.row), tier: Number(rect.dataset.tier) };
  if (c.forty) {
    const pair = state.ship.pair.get(bay);
    if (pair) to.bay = pair;
  }
  return to;
}

function clearMarks() {
  for (const r of document.querySelectorAll("rect.slot.ok, rect.slot.bad")) r.classList.remove("ok", "bad");
}

function showPreview(result, c, to) {
  $("preview-card").hidden = false;
  const host = $("preview");
  const head = document.createElement("p");
  const where = cellCode(to.bay, to.row, to.tier);
  if (result.ok) {
    head.className = "ok";
    head.textContent = `${c.container} → ${where}: allowed`;
    host.replaceChildren(head);
    return;
  }
  head.className = "bad";
  head.textContent = `${c.container} → ${where}: refused`;
  const ul = document.createElement("ul");
  for (const v of result.violations) {
    const li = document.createElement("li");
    li.textContent = `${v.code}: ${v.message}`;
    ul.append(li);
  }
  host.replaceChildren(head, ul);
}

async function checkHover(rect) {
  const d = state.drag;
  const to = targetCell(rect, d.cell);
  const key = `${to.bay},${to.row},${to.tier}`;
  d.target = rect;
  d.to = to;
  if (d.checked.has(key)) return mark(rect, d.checked.get(key), to);
  const ticket = (d.ticket = (d.ticket || 0) + 1);
  try {
    const result = await api("POST", `${API}/departure-plan/check-move/`, { box: d.cell.container, to });
    d.checked.set(key, result);
    if (state.drag === d && d.ticket === ticket) mark(rect, result, to);
  } catch (err) {
    say(err.message);
  }
}

function mark(rect, result, to) {
  clearMarks();
  rect.classList.add(result.ok ? "ok" : "bad");
  state.drag.result = result;
  showPreview(result, state.drag.cell, to);
}

function onPointerDown(ev) {
  const rect = ev.target.closest("rect.slot.box");
  if (!rect) return;
  const plan = currentPlan();
  const c = plan && plan.byBox.get(rect.dataset.box);
  if (!c) return;
  showDetails(c.container);
  if (!(page.can_edit && state.kind === "departure") || state.busy || c.confirmed) return;
  ev.preventDefault();
  const ghost = document.createElement("div");
  ghost.className = "sp-ghost";
  ghost.textContent = `${c.container} ${c.position}`;
  ghost.hidden = true;
  document.body.append(ghost);
  state.drag = { cell: c, ghost, start: [ev.clientX, ev.clientY], moved: false, checked: new Map(), target: null, to: null, result: null };
  for (const r of document.querySelectorAll(`rect.slot[data-box="${c.container}"]`)) r.classList.add("from");
}

function onPointerMove(ev) {
  const d = state.drag;
  if (!d) return;
  if (!d.moved && Math.hypot(ev.clientX - d.start[0], ev.clientY - d.start[1]) < 4) return;
  d.moved = true;
  d.ghost.hidden = false;
  d.ghost.style.left = `${ev.clientX + 12}px`;
  d.ghost.style.top = `${ev.clientY + 12}px`;
  const under = document.elementFromPoint(ev.clientX, ev.clientY);
  const rect = under && under.closest ? under.closest(".sp-bays rect.slot") : null;
  if (!rect) {
    clearMarks();
    d.target = null;
    return;
  }
  if (rect !== d.target) checkHover(rect);
}

async function onPointerUp() {
  const d = state.drag;
  if (!d) return;
  state.drag = null;
  d.ghost.remove();
  for (const r of document.querySelectorAll("rect.slot.from")) r.classList.remove("from");
  if (!d.moved || !d.target || !d.to) {
    clearMarks();
    return;
  }
  const key = `${d.to.bay},${d.to.row},${d.to.tier}`;
  const result = d.checked.get(key);
  if (!result || !result.ok) {
    clearMarks();
    if (result) say(`Not moved: ${result.violations.map((v) => v.message).join("; ")}`);
    return;
  }
  await moveBox(d.cell.container, d.to);
  clearMarks();
}

async function moveBox(box, to) {
  const plan = state.plans.departure;
  state.busy = true;
  try {
    const data = await api("POST", `${API}/departure-plan/moves/`, { box, to }, { "If-Match": plan.etag });
    const before = plan.byBox.get(box);
    state.plans.departure = indexPlan(data);
    const touched = [before, state.plans.departure.byBox.get(box)].flatMap((c) => (c.forty ? [c.bay - 1, c.bay + 1] : [c.bay]));
    say(`${box} moved to ${cellCode(to.bay, to.row, to.tier)} (revision ${data.revision}).`, true);
    state.busy = false;
    render(touched);
    showDetails(box);
  } catch (err) {
    state.busy = false;
    const vs = (err.data && err.data.details && err.data.details.violations) || [];
    say(vs.length ? `${err.message}` : err.message);
    if (err.status === 412) await refresh("departure");
    render();
  }
}

async function undo() {
  const plan = state.plans.departure;
  if (!plan) return;
  state.busy = true;
  render();
  try {
    const data = await api("POST", `${API}/departure-plan/undo/`, {}, { "If-Match": plan.etag });
    state.plans.departure = indexPlan(data);
    say(`Undone (revision ${data.revision}).`, true);
  } catch (err) {
    say(err.message);
    if (err.status === 412) await loadPlan("departure");
  }
  state.busy = false;
  render();
}

// --- live --------------------------------------------------------------------------------------

async function refresh(kind, bays) {
  await loadPlan(kind);
  if (!page.plans.includes(kind) && state.plans[kind]) page.plans.push(kind);
  if (state.kind === kind) render(bays);
  else renderSummary();
}

function onEvent(e) {
  const p = e.payload || {};
  if (e.type.startsWith("solver_run.") && state.run && p.id === state.run) return showRun(p);
  if (e.topic !== "stowage" || p.vessel_visit !== page.visit) return;
  if (e.type === "stowage.plan_edited") {
    const dep = state.plans.departure;
    if (dep && p.revision === dep.revision) return; // our own move, already drawn
    if (state.drag) return void (state.pending = true);
    return void refresh("departure", p.bays);
  }
  if (e.type === "stowage.plan_saved") return void refresh(p.kind || "departure");
  if (e.type === "stowage.moves_confirmed") return void refresh(p.kind === "discharge" ? "arrival" : "departure");
  if (e.type === "edi.received") {
    page.has_profile = true;
    if (!page.plans.includes("arrival")) page.plans.push("arrival");
    loadAll();
  }
}

connectLive({
  terminalId: Number(root.dataset.terminal),
  seq: Number(root.dataset.seq),
  onEvent,
  onResync: () => loadAll(),
  onStatus: (s) => {
    const dot = document.querySelector(".live-status");
    if (dot) dot.dataset.state = s;
  },
});

// --- wiring ------------------------------------------------------------------------------------

for (const b of document.querySelectorAll(".seg button")) {
  b.addEventListener("click", () => {
    state.kind = b.dataset.kind;
    state.selected = null;
    render();
  });
}
$("colour").addEventListener("change", (e) => {
  state.mode = e.target.value;
  render();
});
if ($("plan")) $("plan").addEventListener("click", startPlan);
if ($("undo")) $("undo").addEventListener("click", undo);
const bays = $("bays");
bays.addEventListener("pointerdown", onPointerDown);
window.addEventListener("pointermove", onPointerMove);
window.addEventListener("pointerup", () => {
  onPointerUp().then(() => {
    if (state.pending) {
      state.pending = false;
      refresh("departure");
    }
  });
});

loadAll().catch((err) => say(err.message));
