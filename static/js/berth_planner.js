// berth_planner.js: the time × quay-metre berth planner.
//
// Loads the quay's plans through /api/v1/berth-plans/, draws the selected one with ECharts
// (vessels as rectangles: berthing → departure across, quay stretch down), lets the planner drag
// a vessel (PATCH with If-Match, 412 when someone else changed the plan first), lock it, undo,
// optimise (a solver run whose progress and improving plans stream over the WebSocket), compare
// with the published plan and publish. Other planners' changes arrive live.
import { connectLive } from "./live.js";

const root = document.getElementById("planner");
const quays = JSON.parse(document.getElementById("quays-data").textContent);
const $ = (id) => document.getElementById(id);
const PALETTE = ["#2f6fb0", "#3a9a6b", "#8a5cb8", "#c27c2c", "#2a9bb3", "#b0506f", "#6c7d2d", "#5a6a8a"];
const SNAP_MS = 30 * 60 * 1000;
const SNAP_M = 5;

const state = {
  quay: quays[0] || null,
  plans: [],
  plan: null,
  selected: null, // assignment id
  undo: [], // [{assignment, before: {start_m, berth_at} | {locked}}]
  run: null, // solver run id being watched
  drag: null,
  busy: false, // a keyboard move is on its way
};

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
  return { data, etag: response.headers.get("ETag") };
}

function say(text, ok = false) {
  const el = $("message");
  el.hidden = !text;
  el.textContent = text || "";
  el.classList.toggle("ok", ok);
}

function explainError(err) {
  if (err.status === 412) return "Someone changed this plan a moment ago; it has been reloaded. " + err.message;
  const details = err.data && err.data.details;
  if (details && details.violations) {
    return err.message + " " + details.violations.map((v) => v.message).join(" ");
  }
  return err.message;
}

// --- loading -----------------------------------------------------------------------------------

async function loadPlans(preferId) {
  if (!state.quay) return;
  const { data } = await api("GET", `/api/v1/berth-plans/?quay=${state.quay.id}&page_size=50`);
  state.plans = data.results || data;
  const select = $("plan");
  select.innerHTML = "";
  for (const p of state.plans) {
    const opt = document.createElement("option");
    opt.value = p.id;
    opt.textContent = `v${p.version} · ${p.status}${p.source === "solver" ? " · optimised" : ""}`;
    select.append(opt);
  }
  const draft = state.plans.find((p) => p.status === "draft");
  const published = state.plans.find((p) => p.status === "published");
  const pick = preferId || (draft || published || state.plans[0] || {}).id;
  if (pick) {
    select.value = String(pick);
    await loadPlan(pick);
  } else {
    state.plan = null;
    render();
  }
}

async function loadPlan(id) {
  const { data } = await api("GET", `/api/v1/berth-plans/${id}/`);
  if (!state.plan || state.plan.id !== data.id) state.undo = [];
  state.plan = data;
  render();
  loadCompare();
}

async function loadCompare() {
  const box = $("compare");
  const plan = state.plan;
  if (!plan || plan.status !== "draft") {
    box.innerHTML = `<p class="empty">${plan ? "This is the " + plan.status + " plan." : "No plan."}</p>`;
    return;
  }
  try {
    const { data } = await api("GET", `/api/v1/berth-plans/${plan.id}/compare/`);
    const moved = data.vessels.filter((v) => v.status !== "unchanged");
    const delta = data.objective_delta;
    let html = `<p>Objective ${fmt(data.objective_before)} → <strong>${fmt(data.objective_after)}</strong>`;
    if (delta !== null) html += ` (${delta > 0 ? "+" : ""}${fmt(delta)})`;
    html += "</p>";
    if (!moved.length) html += '<p class="empty">No vessel differs from the published plan.</p>';
    else {
      html += '<table class="grid"><thead><tr><th>Vessel</th><th>Change</th></tr></thead><tbody>';
      for (const v of moved) {
        const parts = [];
        if (v.status !== "moved") parts.push(v.status);
        if (v.moved_min) parts.push(`${v.moved_min > 0 ? "+" : ""}${hours(v.moved_min)} berth`);
        if (v.depart_moved_min && v.depart_moved_min !== v.moved_min) {
          parts.push(`${v.depart_moved_min > 0 ? "+" : ""}${hours(v.depart_moved_min)} departure`);
        }
        if (v.moved_m) parts.push(`${v.moved_m > 0 ? "+" : ""}${v.moved_m} m`);
        if (v.cranes_before.join() !== v.cranes_after.join()) parts.push("cranes");
        html += `<tr data-visit="${v.visit_id}"><td>${esc(v.vessel)}</td><td>${esc(parts.join(", ") || "moved")}</td></tr>`;
      }
      html += "</tbody></table>";
    }
    box.innerHTML = html;
  } catch (err) {
    box.innerHTML = `<p class="empty">${esc(err.message)}</p>`;
  }
}

// --- drawing -----------------------------------------------------------------------------------

const chart = echarts.init($("chart"));
window.__planner = { state, chart }; // for tests and the curious

function fmt(n) {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-GB");
}
function hours(min) {
  const h = Math.floor(Math.abs(min) / 60);
  const m = Math.abs(min) % 60;
  return `${min < 0 ? "-" : ""}${h}h${String(m).padStart(2, "0")}`;
}
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function colour(line) {
  let h = 0;
  for (const ch of line) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
function conflictsByVisit(plan) {
  const out = new Map();
  for (const v of plan.violations || []) {
    const key = String(v.vessel);
    if (!out.has(key)) out.set(key, []);
    out.get(key).push(v.message);
  }
  return out;
}
function craneCount(a) {
  return new Set(a.cranes.map((c) => c.crane)).size;
}

function rows() {
  const plan = state.plan;
  if (!plan) return [];
  const conflicts = conflictsByVisit(plan);
  return plan.assignments.map((a) => ({
    id: a.id,
    name: a.visit.vessel,
    line: a.visit.line,
    value: [Date.parse(a.berth_at), Date.parse(a.depart_at), a.start_m, a.end_m, Date.parse(a.visit.eta), Date.parse(a.visit.requested_departure)],
    locked: a.locked,
    conflict: conflicts.has(String(a.visit.id)),
    cranes: craneCount(a),
    selected: a.id === state.selected,
  }));
}

function renderVessel(params, api) {
  const d = params.context.rows[params.dataIndex];
  const [berth, depart, start, end, eta, due] = d.value;
  const p0 = api.coord([berth, start]);
  const p1 = api.coord([depart, end]);
  const rect = { x: p0[0], y: p0[1], width: Math.max(2, p1[0] - p0[0]), height: Math.max(2, p1[1] - p0[1]) };
  const clipped = echarts.graphic.clipRectByRect(rect, {
    x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height,
  });
  if (!clipped) return null;
  const children = [
    {
      type: "rect",
      shape: clipped,
      style: {
        fill: colour(d.line),
        opacity: 0.88,
        stroke: d.conflict ? "#d0021b" : d.selected ? "#111" : "#fff",
        lineWidth: d.conflict || d.selected ? 3 : 1,
        lineDash: d.locked ? [6, 4] : null,
      },
    },
    {
      type: "text",
      style: {
        x: clipped.x + 5, y: clipped.y + 4, text: `${d.name}\n${d.line} · ${d.cranes} QC${d.locked ? " · locked" : ""}`,
        fill: "#fff", font: "12px system-ui, sans-serif", lineHeight: 15, overflow: "truncate", width: Math.max(0, clipped.width - 8),
      },
      silent: true,
    },
  ];
  const etaP = api.coord([eta, start]);
  if (etaP[0] >= params.coordSys.x && etaP[0] <= params.coordSys.x + params.coordSys.width) {
    children.push({ type: "polygon", shape: { points: [[etaP[0], etaP[1] - 1], [etaP[0] - 6, etaP[1] - 10], [etaP[0] + 6, etaP[1] - 10]] }, style: { fill: "#333" }, silent: true });
  }
  const dueP = api.coord([due, start]);
  if (dueP[0] >= params.coordSys.x && dueP[0] <= params.coordSys.x + params.coordSys.width) {
    children.push({ type: "line", shape: { x1: dueP[0], y1: p0[1], x2: dueP[0], y2: p1[1] }, style: { stroke: "#c00", lineWidth: 2 }, silent: true });
  }
  return { type: "group", children };
}

function render() {
  const plan = state.plan;
  $("plan-title").textContent = plan
    ? `${state.quay.name} · v${plan.version} ${plan.status} · revision ${plan.revision}`
    : state.quay ? `${state.quay.name} · no plan yet` : "no quay";
  $("objective").textContent = plan ? `Objective ${fmt(plan.objective)} (weighted minutes)` : "";
  const n = plan ? (plan.violations || []).length : 0;
  $("conflicts").textContent = plan ? (n ? `${n} conflict${n > 1 ? "s" : ""}` : "no conflicts") : "";
  $("conflicts").className = n ? "bad" : "";
  const draft = plan && plan.status === "draft";
  $("publish").disabled = !draft || n > 0;
  $("publish").title = !draft ? "Only a draft can be published" : n ? "Resolve the conflicts first" : "Make this the quay's plan";
  $("undo").disabled = !draft || !state.undo.length;
  const data = rows();
  const now = Date.now();
  chart.setOption(
    {
      animationDurationUpdate: 300,
      grid: { left: 60, right: 20, top: 20, bottom: 70 },
      tooltip: {
        formatter: (p) => {
          if (p.seriesIndex !== 0) return "";
          const a = state.plan.assignments[p.dataIndex];
          return `<b>${esc(a.visit.vessel)}</b> (${esc(a.visit.line)})<br>${a.start_m}–${a.end_m} m<br>berth ${a.berth_at.slice(0, 16).replace("T", " ")}<br>depart ${a.depart_at.slice(0, 16).replace("T", " ")}`;
        },
      },
      xAxis: {
        type: "time", position: "top", splitLine: { show: true, lineStyle: { color: "#eef1f4" } },
        axisLabel: {
          hideOverlap: true,
          formatter: { year: "{yyyy}", month: "{MMM} {yyyy}", day: "{ee} {d} {MMM}", hour: "{HH}:{mm}", minute: "{HH}:{mm}" },
        },
      },
      yAxis: {
        type: "value", min: 0, max: state.quay ? state.quay.length_m : 1000, inverse: true, name: "quay (m)",
        splitLine: { lineStyle: { color: "#eef1f4" } },
      },
      dataZoom: [
        { type: "slider", xAxisIndex: 0, bottom: 10, height: 22, filterMode: "none" },
        { type: "inside", xAxisIndex: 0, moveOnMouseMove: false, moveOnMouseWheel: false, zoomOnMouseWheel: true, filterMode: "none" },
      ],
      series: [
        {
          type: "custom",
          renderItem: (params, api) => renderVessel({ ...params, context: { rows: data } }, api),
          encode: { x: [0, 1], y: [2, 3] },
          data: data.map((d) => d.value),
          clip: true,
          markLine: {
            silent: true, symbol: "none", label: { formatter: "now", position: "end", color: "#0b5fa5" },
            lineStyle: { color: "#0b5fa5", type: "dashed" }, data: [{ xAxis: now }],
          },
        },
        {
          type: "line",
          data: [],
          markLine: {
            silent: true, symbol: "none",
            lineStyle: { color: "#9aa8b6", type: "dotted" },
            label: { position: "insideStartTop", color: "#5b6b7c", formatter: (p) => p.name },
            data: (state.quay ? state.quay.sections : []).slice(1).map((s) => ({ yAxis: s.start_m, name: s.name })),
          },
        },
      ],
    },
    { replaceMerge: ["series"] },
  );
  renderDetails();
}

function renderDetails() {
  const box = $("details");
  const plan = state.plan;
  const a = plan && plan.assignments.find((x) => x.id === state.selected);
  if (!a) {
    box.innerHTML = '<p class="empty">Click a vessel.</p>';
    return;
  }
  const why = (plan.explanations || {})[String(a.visit.id)] || [];
  const conflicts = (plan.violations || []).filter((v) => String(v.vessel) === String(a.visit.id));
  const cranes = [...new Set(a.cranes.map((c) => c.crane))].join(", ") || "none";
  box.innerHTML = `
    <dl>
      <dt>Vessel</dt><dd><strong>${esc(a.visit.vessel)}</strong> (${esc(a.visit.reference)})</dd>
      <dt>Line</dt><dd>${esc(a.visit.line)}</dd>
      <dt>LOA / draft</dt><dd>${a.visit.loa_m} m / ${a.visit.draft_m} m</dd>
      <dt>Quay</dt><dd>${a.start_m}–${a.end_m} m</dd>
      <dt>ETA</dt><dd>${a.visit.eta.slice(0, 16).replace("T", " ")}</dd>
      <dt>Berth</dt><dd>${a.berth_at.slice(0, 16).replace("T", " ")}</dd>
      <dt>Depart</dt><dd>${a.depart_at.slice(0, 16).replace("T", " ")}</dd>
      <dt>Requested</dt><dd>${a.visit.requested_departure.slice(0, 16).replace("T", " ")}</dd>
      <dt>Moves</dt><dd>${a.visit.moves}</dd>
      <dt>Cranes</dt><dd>${esc(cranes)}</dd>
    </dl>
    ${conflicts.length ? `<ul class="conflict">${conflicts.map((v) => `<li>${esc(v.message)}</li>`).join("")}</ul>` : ""}
    ${why.length ? `<ul class="why">${why.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}
    ${plan.status === "draft" ? `
    <div class="nudge" role="group" aria-label="Move the vessel">
      <button type="button" data-nudge="-1,0" title="Earlier by 30 min (←)">← 30 min</button>
      <button type="button" data-nudge="1,0" title="Later by 30 min (→)">30 min →</button>
      <button type="button" data-nudge="0,-1" title="Up the quay by 5 m (↑)">↑ 5 m</button>
      <button type="button" data-nudge="0,1" title="Down the quay by 5 m (↓)">↓ 5 m</button>
    </div>
    <button type="button" id="lock">${a.locked ? "Unlock" : "Lock here"}</button>` : ""}`;
  const lock = $("lock");
  if (lock) lock.addEventListener("click", () => setLocked(a, !a.locked));
  box.querySelectorAll("[data-nudge]").forEach((b) =>
    b.addEventListener("click", () => nudge(a, ...b.dataset.nudge.split(",").map(Number))),
  );
}

// --- editing -----------------------------------------------------------------------------------

async function patch(assignmentId, body) {
  try {
    await api("PATCH", `/api/v1/berth-assignments/${assignmentId}/`, body, { "If-Match": state.plan.etag });
    say("");
    return true;
  } catch (err) {
    say(explainError(err));
    return false;
  } finally {
    await loadPlan(state.plan.id);
  }
}

async function setLocked(a, locked) {
  if (await patch(a.id, { locked })) state.undo.push({ assignment: a.id, before: { locked: a.locked } });
  render();
}

async function nudge(a, steps, metres) {
  // The keyboard and button alternative to dragging: one snap step in time or along the quay.
  if (!state.plan || state.plan.status !== "draft" || state.busy) return;
  const body = {};
  const before = { start_m: a.start_m, berth_at: a.berth_at };
  if (steps) body.berth_at = new Date(Date.parse(a.berth_at) + steps * SNAP_MS).toISOString();
  if (metres) body.start_m = Math.max(0, a.start_m + metres * SNAP_M);
  if (body.start_m === a.start_m) return;
  state.busy = true;
  try {
    if (await patch(a.id, body)) state.undo.push({ assignment: a.id, before });
  } finally {
    state.busy = false;
  }
  render();
}

const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea")) return;
  if ((e.ctrlKey || e.metaKey) && e.key === "z") {
    e.preventDefault();
    undo();
    return;
  }
  const a = state.plan && state.plan.assignments.find((x) => x.id === state.selected);
  if (!a || !KEYS[e.key]) return;
  e.preventDefault();
  nudge(a, ...KEYS[e.key]);
});

async function undo() {
  const last = state.undo.pop();
  if (!last) return;
  await patch(last.assignment, last.before);
  render();
}

function startDrag(params, event) {
  if (!state.plan) return;
  const a = state.plan.assignments[params.dataIndex];
  if (state.plan.status !== "draft") {
    // A published or superseded plan cannot be edited, but its vessels can still be inspected.
    state.selected = a.id;
    render();
    return;
  }
  const at = chart.convertFromPixel({ gridIndex: 0 }, [event.offsetX, event.offsetY]);
  state.drag = { a, at, moved: false, berth: Date.parse(a.berth_at), start: a.start_m };
}

function onMove(e) {
  const drag = state.drag;
  if (!drag) return;
  const at = chart.convertFromPixel({ gridIndex: 0 }, [e.offsetX, e.offsetY]);
  const dt = Math.round((at[0] - drag.at[0]) / SNAP_MS) * SNAP_MS;
  const dm = Math.round((at[1] - drag.at[1]) / SNAP_M) * SNAP_M;
  if (!dt && !dm && !drag.moved) return;
  drag.moved = true;
  const a = drag.a;
  const length = Date.parse(a.depart_at) - Date.parse(a.berth_at);
  const span = a.end_m - a.start_m;
  drag.newBerth = drag.berth + dt;
  drag.newStart = Math.max(0, drag.start + dm);
  a.berth_at = new Date(drag.newBerth).toISOString();
  a.depart_at = new Date(drag.newBerth + length).toISOString();
  a.start_m = drag.newStart;
  a.end_m = drag.newStart + span;
  render();
}

async function endDrag() {
  const drag = state.drag;
  state.drag = null;
  if (!drag) return;
  state.selected = drag.a.id;
  if (!drag.moved) {
    render();
    return;
  }
  const body = {};
  if (drag.newStart !== drag.start) body.start_m = drag.newStart;
  if (drag.newBerth !== drag.berth) body.berth_at = new Date(drag.newBerth).toISOString();
  if (!Object.keys(body).length) return render();
  const before = { start_m: drag.start, berth_at: new Date(drag.berth).toISOString() };
  if (await patch(drag.a.id, body)) state.undo.push({ assignment: drag.a.id, before });
  render();
}

chart.on("mousedown", { seriesIndex: 0 }, (params) => startDrag(params, params.event.event));
chart.getZr().on("mousemove", (e) => onMove(e.event));
chart.getZr().on("mouseup", () => endDrag());
chart.getZr().on("globalout", () => endDrag());
window.addEventListener("resize", () => chart.resize());

// --- commands ----------------------------------------------------------------------------------

async function newDraft() {
  try {
    const { data } = await api("POST", "/api/v1/berth-plans/", { quay: state.quay.id });
    say(`Draft v${data.version} created${data.based_on ? ` from v${(state.plans.find((p) => p.id === data.based_on) || {}).version || "?"}` : ""}.`, true);
    await loadPlans(data.id);
    return data;
  } catch (err) {
    say(explainError(err));
    return null;
  }
}

async function optimise() {
  let plan = state.plan;
  if (!plan || plan.status !== "draft") plan = await newDraft();
  if (!plan) return;
  const seconds = Number($("time-limit").value) || 10;
  try {
    const { data } = await api("POST", `/api/v1/berth-plans/${plan.id}/optimise/`, { time_limit: seconds });
    watchRun(data);
  } catch (err) {
    say(explainError(err));
  }
}

function watchRun(run) {
  state.run = run.id;
  $("progress").hidden = false;
  $("cancel").hidden = false;
  $("optimise").disabled = true;
  showRun(run);
}

function showRun(run) {
  $("progress-bar").style.width = `${Math.round(100 * (run.progress || 0))}%`;
  const parts = [`Optimising: ${run.status}`];
  if (run.message) parts.push(run.message);
  if (run.objective !== null && run.objective !== undefined) parts.push(`objective ${fmt(run.objective)}`);
  if (run.bound !== null && run.bound !== undefined) parts.push(`bound ${fmt(run.bound)}`);
  if (run.gap !== null && run.gap !== undefined) parts.push(`gap ${(100 * run.gap).toFixed(1)} %`);
  $("progress-text").textContent = parts.join(" · ");
  if (["succeeded", "failed", "cancelled"].includes(run.status)) {
    $("progress-bar").style.width = "100%";
    $("progress-text").textContent = `Optimisation ${run.status}` + (run.error ? ` · ${run.error}` : "");
    $("cancel").hidden = true;
    $("optimise").disabled = false;
    state.run = null;
    say("");
    if (state.plan) {
      loadPlan(state.plan.id).then(() => {
        // The search also prices moving vessels away from the plan it started from (stability),
        // which the plan's own objective leaves out: say so rather than show two numbers.
        const planned = state.plan ? state.plan.objective : null;
        if (run.status === "succeeded" && planned != null) {
          let text = `Optimisation succeeded · plan objective ${fmt(planned)}`;
          if (run.objective != null && run.objective !== planned) {
            text += ` (the search's ${fmt(run.objective)} adds ${fmt(run.objective - planned)} for moving vessels from where they were)`;
          }
          $("progress-text").textContent = text;
        }
        return loadPlans(state.plan.id);
      });
    }
  }
}

async function cancelRun() {
  if (!state.run) return;
  try {
    const { data } = await api("POST", `/api/v1/solver-runs/${state.run}/cancel/`);
    showRun(data);
  } catch (err) {
    say(explainError(err));
  }
}

async function publish() {
  try {
    await api("POST", `/api/v1/berth-plans/${state.plan.id}/publish/`, undefined, { "If-Match": state.plan.etag });
    say(`Plan v${state.plan.version} is published; lines see their new berth times.`, true);
    await loadPlans(state.plan.id);
  } catch (err) {
    say(explainError(err));
    await loadPlan(state.plan.id);
  }
}

// --- live --------------------------------------------------------------------------------------

function applyIncumbent(payload) {
  if (!state.plan || payload.plan !== state.plan.id || state.drag) return;
  const byVisit = new Map(payload.placements.map((p) => [p.visit, p]));
  for (const a of state.plan.assignments) {
    const p = byVisit.get(a.visit.id);
    if (!p) continue;
    Object.assign(a, { start_m: p.start_m, end_m: p.end_m, berth_at: p.berth_at, depart_at: p.depart_at });
  }
  render();
  $("objective").textContent = `Incumbent ${fmt(payload.objective)} · bound ${fmt(payload.bound)} · ${payload.seconds} s`;
}

function onEvent(e) {
  const p = e.payload || {};
  if (e.type === "berth.incumbent") return applyIncumbent(p);
  if (e.type === "berth.plan_changed") {
    if (state.quay && p.quay !== state.quay.id) return;
    if (state.plan && p.plan === state.plan.id && p.revision !== state.plan.revision && !state.drag) {
      loadPlan(state.plan.id);
    }
    if (!state.plans.some((x) => x.id === p.plan) || p.change === "published" || p.change === "superseded") {
      loadPlans(state.plan ? state.plan.id : undefined);
    }
    return;
  }
  if (e.type === "berth.application_changed") {
    // A line changed its requested window or moves: reload to show the new requested departure.
    if (state.plan && !state.drag && state.plan.assignments.some((a) => a.visit.id === p.visit)) {
      loadPlan(state.plan.id);
    }
    return;
  }
  if (e.type.startsWith("solver_run.") && state.run && p.id === state.run) showRun(p);
}

connectLive({
  terminalId: Number(root.dataset.terminal),
  seq: Number(root.dataset.seq),
  onEvent,
  onResync: () => state.plan && loadPlan(state.plan.id),
  onStatus: (s) => {
    const dot = document.querySelector(".live-status");
    if (dot) dot.dataset.state = s;
  },
});

// --- wiring ------------------------------------------------------------------------------------

const quaySelect = $("quay");
for (const q of quays) {
  const opt = document.createElement("option");
  opt.value = q.id;
  opt.textContent = `${q.name} (${q.length_m} m)`;
  quaySelect.append(opt);
}
quaySelect.addEventListener("change", () => {
  state.quay = quays.find((q) => String(q.id) === quaySelect.value);
  state.selected = null;
  loadPlans();
});
$("plan").addEventListener("change", (e) => {
  state.selected = null;
  loadPlan(Number(e.target.value));
});
$("new-draft").addEventListener("click", newDraft);
$("optimise").addEventListener("click", optimise);
$("cancel").addEventListener("click", cancelRun);
$("publish").addEventListener("click", publish);
$("undo").addEventListener("click", undo);

loadPlans().catch((err) => say(explainError(err)));
