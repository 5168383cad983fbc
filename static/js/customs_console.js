// customs_console.js: the customs officers' inspection console.
//
// Left: the ranked inspection queue (highest risk first, then oldest). Right: the selected
// case with everything on one screen — the declaration, the unit or bulk lot, the customs
// holds, every risk model with its reasons, the sensor readings plotted over time (ECharts,
// vendored) and the decision buttons (release, hold, examination, sampling) with a required
// reason. Below: a feed of the latest alarms and decisions.
//
// Live (DESIGN.md §5.6): GET /api/v1/customs/snapshot/ gives the queue and its seq; live.js then
// delivers every later event once and in order (gap replay from /api/v1/events/). Case events
// carry the whole queue row, so applying one is an upsert (a closed case leaves the queue);
// a reading, assessment, decision or hold event about the selected subject refreshes its panel.
// When the gap is too large to replay, the snapshot is loaded again.
//
// window.customsConsole exposes what the page shows, for tests and the curious.
import { connectLive } from "./live.js";

const root = document.getElementById("console");
const $ = (id) => document.getElementById(id);
const terminalId = Number(root.dataset.terminal) || null;

const MODEL_TITLES = {
  declaration_consistency: "Declaration",
  radiation: "Radiation",
  composition_deviation: "Composition",
  foreign_objects: "Foreign objects",
  seal_door: "Seal and door",
  history: "History",
  xray: "X-ray",
};
const ACTIONS = [
  ["release", "Release"],
  ["hold", "Hold"],
  ["examine", "Physical examination"],
  ["sample", "Sampling order"],
];
const STATUS_TEXT = { open: "open", examination: "examination", sampling: "sampling", closed: "closed" };

const state = {
  seq: 0,
  cases: new Map(), // id -> queue row
  selected: null, // case id
  detail: null, // the selected case's evidence
  loading: false,
  pending: [],
  feed: [],
  fresh: new Set(),
  busy: false,
};
let live = null;
let chart = null;

// --- helpers -----------------------------------------------------------------------------------

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function getJson(url) {
  const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(body.message || `HTTP ${resp.status}`), { body, status: resp.status });
  return body;
}

async function postJson(url, data) {
  const resp = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken(),
      "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`,
    },
    body: JSON.stringify(data),
  });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(body.message || `HTTP ${resp.status}`), { body, status: resp.status });
  return body;
}

function showMessage(text) {
  const el = $("message");
  el.textContent = text || "";
  el.hidden = !text;
}

function subjectLabel(row) {
  return row.container || row.lot_reference || `lot ${row.lot}`;
}

// --- queue -------------------------------------------------------------------------------------

function ranked() {
  const level = $("filter-level").value;
  const subject = $("filter-subject").value;
  return [...state.cases.values()]
    .filter((c) => !level || c.level === level)
    .filter((c) => !subject || (subject === "unit" ? c.unit : c.lot))
    .sort((a, b) => b.priority - a.priority || a.opened_at.localeCompare(b.opened_at) || a.id - b.id);
}

let lastQueue = "";
function renderQueue() {
  const rows = ranked();
  $("queue-count").textContent = `${rows.length} waiting`;
  $("queue-empty").hidden = rows.length > 0;
  // Redraw only when the queue changed: a click must not land on a row being replaced.
  const signature = JSON.stringify([state.selected, [...state.fresh], rows]);
  if (signature === lastQueue) return;
  lastQueue = signature;
  $("queue").innerHTML = rows
    .map(
      (c, i) => `<tr data-case="${c.id}" aria-selected="${c.id === state.selected}" class="${state.fresh.has(c.id) ? "new" : ""}">
        <td>${i + 1}</td>
        <td><span class="risk ${esc(c.level)}" title="${esc(c.level)} risk">${c.priority}</span></td>
        <td><span class="cc-subject">${esc(subjectLabel(c))}</span><br><small>${esc(c.declaration || "no declaration")}</small></td>
        <td>${esc(STATUS_TEXT[c.status] || c.status)}</td>
        <td class="why">${esc(c.reasons[0] || "")}</td>
      </tr>`,
    )
    .join("");
  state.fresh.clear();
}

$("queue").addEventListener("click", (ev) => {
  const tr = ev.target.closest("tr[data-case]");
  if (tr) select(Number(tr.dataset.case));
});
$("filter-level").addEventListener("change", renderQueue);
$("filter-subject").addEventListener("change", renderQueue);

function upsertCase(row) {
  if (row.status === "closed") state.cases.delete(row.id);
  else {
    if (!state.cases.has(row.id)) state.fresh.add(row.id);
    state.cases.set(row.id, row);
  }
}

// --- snapshot and live -------------------------------------------------------------------------

async function loadSnapshot() {
  state.loading = true;
  try {
    const snap = await getJson("/api/v1/customs/snapshot/");
    state.cases = new Map(snap.queue.map((c) => [c.id, c]));
    state.seq = snap.seq;
    state.feed = (snap.feed || []).map((f) => ({ ts: f.at, text: f.text, kind: f.kind }));
    renderFeed();
    const later = state.pending.filter((e) => e.seq > snap.seq).sort((a, b) => a.seq - b.seq);
    state.pending = [];
    for (const e of later) apply(e);
    renderQueue();
    return state.seq;
  } finally {
    state.loading = false;
  }
}

function touchesSelected(p) {
  const d = state.detail;
  if (!d || !p) return false;
  if (d.unit && (p.unit === d.unit.id || p.unit_id === d.unit.id)) return true;
  if (d.lot && p.lot === d.lot.id) return true;
  return p.case != null && p.case === state.selected;
}

function apply(e) {
  if (state.loading) {
    state.pending.push(e);
    return;
  }
  if (e.seq <= state.seq) return;
  state.seq = e.seq;
  const p = e.payload || {};
  switch (e.type) {
    case "customs.case_opened":
    case "customs.case_changed":
      upsertCase(p);
      renderQueue();
      if (p.id === state.selected) refreshDetail();
      break;
    case "customs.reading":
      if (touchesSelected(p)) addReading(p);
      if (p.alarm) pushFeed(e.ts, `Alarm on ${p.container || p.lot_reference}: ${p.alarm_reason}`, "alarm");
      break;
    case "customs.assessment":
    case "customs.lot_changed":
    case "customs.declaration_changed":
      if (touchesSelected(p)) refreshDetail();
      break;
    case "customs.decision":
      pushFeed(e.ts, `${p.action} of ${p.container || p.lot_reference || p.declaration} by ${p.officer || p.source}: ${p.reason}`, "");
      if (touchesSelected(p)) refreshDetail();
      break;
    case "hold.applied":
    case "hold.released":
      if (state.detail && state.detail.unit && p.unit === state.detail.unit.id) refreshDetail();
      break;
    default:
      break;
  }
  root.dataset.seq = String(state.seq);
}

function pushFeed(ts, text, kind) {
  state.feed.unshift({ ts, text, kind });
  state.feed.length = Math.min(state.feed.length, 50);
  renderFeed();
}

function renderFeed() {
  const short = (t) => (t.length > 220 ? `${t.slice(0, 219)}…` : t);
  $("feed").innerHTML = state.feed
    .map((f) => `<li class="${f.kind}"><time>${esc(fmtTime(f.ts))}</time><span title="${esc(f.text)}">${esc(short(f.text))}</span></li>`)
    .join("");
}

const CONN_TEXT = { connecting: "Connecting…", replaying: "Catching up…", offline: "Offline: showing the last known queue" };
function setStatus(status) {
  const el = $("conn");
  el.dataset.state = status;
  el.textContent = status === "live" ? `Live · seq ${state.seq}` : CONN_TEXT[status] || status;
  const dot = $("live-status");
  if (dot) dot.dataset.state = status;
}

// --- detail ------------------------------------------------------------------------------------

async function select(id) {
  state.selected = id;
  const url = new URL(location.href);
  url.searchParams.set("case", id);
  history.replaceState(null, "", url);
  renderQueue();
  await refreshDetail();
}

let refreshing = null;
let refreshAgain = false;
/** Load the selected case's evidence; a call while a load runs loads once more afterwards. */
async function refreshDetail() {
  if (!state.selected) return;
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      const id = state.selected;
      try {
        const detail = await getJson(`/api/v1/customs/cases/${id}/`);
        if (id === state.selected) {
          state.detail = detail;
          renderDetail();
        }
      } catch (err) {
        showMessage(`Could not load case ${id}: ${err.message}`);
      }
    } while (refreshAgain);
    refreshing = null;
  })();
  return refreshing;
}

function renderDetail() {
  const d = state.detail;
  const c = d.case;
  const a = d.assessment;
  const subject = d.unit
    ? `<dl>
        <dt>Container</dt><dd class="cc-subject">${esc(d.unit.container)} <small>${esc(d.unit.iso_type)}</small></dd>
        <dt>Line</dt><dd>${esc(d.unit.line)} · ${esc(d.unit.category)} · ${esc(d.unit.state)}</dd>
        <dt>Position</dt><dd>${esc(d.unit.position || "—")}</dd>
        <dt>VGM</dt><dd>${d.unit.vgm_kg ? `${d.unit.vgm_kg.toLocaleString()} kg` : "—"}</dd>
        <dt>Seals</dt><dd>${esc((d.unit.seals || []).join(", ") || "—")}</dd>
      </dl>`
    : `<dl>
        <dt>Lot</dt><dd class="cc-subject">${esc(d.lot.reference)}</dd>
        <dt>Commodity</dt><dd>${esc(d.lot.commodity)}</dd>
        <dt>Discharged</dt><dd>${d.lot.discharged_tonnage.toLocaleString()} of ${d.lot.declared_tonnage.toLocaleString()} t (${d.lot.discharge_pct} %)${d.lot.discharge_completed_at ? " · complete" : ""}</dd>
        <dt>Status</dt><dd>${esc(d.lot.status)}</dd>
        <dt>Windows</dt><dd>${d.windows.length ? d.windows.map((w) => `#${w.number} ${w.tonnage.toLocaleString()} t${w.last ? " (last)" : ""}`).join(", ") : "none reported"}</dd>
      </dl>`;
  const decl = d.declaration
    ? `<dl>
        <dt>Declaration</dt><dd>${esc(d.declaration.reference)} · ${esc(d.declaration.kind)} · <strong>${esc(d.declaration.status)}</strong>${d.declaration.early ? " · early" : ""}${d.declaration.two_step ? " · two-step" : ""}</dd>
        <dt>Goods</dt><dd>${esc(d.declaration.goods_description)} (HS ${esc(d.declaration.hs_code)}, origin ${esc(d.declaration.origin_country)})</dd>
        <dt>Declarant</dt><dd>${esc(d.declaration.declarant)}${d.declaration.consignee ? ` → ${esc(d.declaration.consignee)}` : ""}</dd>
        <dt>B/L</dt><dd>${esc(d.declaration.bl_ref || "—")}</dd>
        <dt>Declared gross</dt><dd>${d.declaration.declared_gross_kg ? `${d.declaration.declared_gross_kg.toLocaleString()} kg` : "—"}</dd>
      </dl>`
    : `<p class="empty">No declaration lodged.</p>`;
  const holds = d.unit
    ? d.holds.length
      ? `<ul id="holds" class="cc-holds">${d.holds.map((h) => `<li>${esc(h.reference)}: blocks ${esc(h.blocks.join(", "))} — ${esc(h.reason)}</li>`).join("")}</ul>`
      : `<ul id="holds" class="cc-holds"><li class="released">No customs hold: released</li></ul>`
    : "";
  const models = [...a.models]
    .sort((x, y) => Number(y.triggered) - Number(x.triggered) || y.score - x.score)
    .map(
      (m) => `<li class="${m.triggered ? "triggered" : ""}" data-model="${esc(m.model)}">
        <span class="name">${esc(MODEL_TITLES[m.model] || m.model)}</span><span class="score">${m.score}/100${m.triggered ? " · triggered" : ""}</span>
        <ul class="reasons">${m.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul></li>`,
    )
    .join("");
  const closed = c.status === "closed";
  $("detail").innerHTML = `
    <h2><span class="risk ${esc(a.level)}">${a.score}</span> <span class="cc-subject" id="detail-subject">${esc(subjectLabel(c))}</span>
      <small>case ${c.id} · ${esc(STATUS_TEXT[c.status] || c.status)}${c.scheduled_from ? ` · scheduled ${esc(fmtTime(c.scheduled_from))}–${esc(fmtTime(c.scheduled_until))}` : ""}</small></h2>
    ${subject}
    ${decl}
    ${d.unit ? `<h3>Customs holds</h3>${holds}` : ""}
    <h3>Risk models <small>(${esc(a.level)}, computed ${esc(fmtTime(a.computed_at))})</small></h3>
    <ul class="cc-models" id="models">${models}</ul>
    <h3>Readings over time <small id="reading-count">${d.readings.length} readings</small></h3>
    <div id="readings-chart" class="cc-chart" aria-label="Sensor readings over time"></div>
    <form id="decide" class="cc-decide" novalidate ${closed ? "hidden" : ""}>
      <label for="reason">Reason (required, recorded with your name)</label>
      <textarea id="reason" name="reason" maxlength="500" aria-required="true"></textarea>
      <div class="buttons">${ACTIONS.map(([k, label]) => `<button type="submit" value="${k}" class="${k}">${label}</button>`).join("")}</div>
    </form>
    <h3>Decisions</h3>
    <ul class="cc-history" id="decisions">${
      d.decisions.length
        ? d.decisions.map((x) => `<li>${esc(fmtTime(x.at))} · <strong>${esc(x.action)}</strong> by ${esc(x.officer || x.source)}: ${esc(x.reason)}</li>`).join("")
        : `<li class="empty">None yet.</li>`
    }</ul>`;
  drawChart();
}

$("detail").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const action = ev.submitter ? ev.submitter.value : "hold";
  const reason = $("reason").value.trim();
  if (reason.length < 3) {
    showMessage("Write a reason (at least 3 characters): every decision is audited with who, when and why.");
    $("reason").focus();
    return;
  }
  if (state.busy) return;
  state.busy = true;
  for (const b of document.querySelectorAll("#decide button")) b.disabled = true;
  try {
    await postJson(`/api/v1/customs/cases/${state.selected}/decide/`, { action, reason });
    showMessage("");
    await refreshDetail();
  } catch (err) {
    showMessage(err.message);
  } finally {
    state.busy = false;
    for (const b of document.querySelectorAll("#decide button")) b.disabled = false;
  }
});

// --- readings chart ----------------------------------------------------------------------------

function seriesOf(readings) {
  const lines = new Map(); // name -> {name, axis, points}
  const put = (name, axis, t, v, alarm) => {
    if (!lines.has(name)) lines.set(name, { name, axis, points: [] });
    lines.get(name).points.push({ value: [t, v], alarm });
  };
  for (const r of readings) {
    const p = r.payload;
    const t = r.taken_at;
    if (r.kind === "radiation") {
      put("gross cps", 0, t, p.gross_cps, r.alarm);
      put("background cps", 0, t, p.background_cps, false);
      if (p.neutron_cps != null) put("neutron cps", 0, t, p.neutron_cps, r.alarm);
    } else if (r.kind === "nir") {
      for (const [k, v] of Object.entries(p.values)) put(`${k} %`, 1, p.window_end || t, v, r.alarm);
    } else if (r.kind === "image") {
      const top = p.detections.reduce((m, x) => Math.max(m, x.confidence), 0);
      put("image: top confidence %", 1, t, Math.round(top * 100), r.alarm);
    } else if (r.kind === "xray") {
      put("X-ray score %", 1, t, Math.round(p.score * 100), r.alarm);
    } else if (r.kind === "seal") {
      put(`seal: ${p.event}`, 1, t, 2, r.alarm);
    }
  }
  return [...lines.values()];
}

function drawChart() {
  const el = $("readings-chart");
  if (!el || !window.echarts) return;
  if (chart) chart.dispose();
  chart = window.echarts.init(el);
  const lines = seriesOf(state.detail.readings);
  const markerOnly = (name) => name.startsWith("seal:");
  chart.setOption({
    animation: false,
    grid: { left: 50, right: 50, top: 30, bottom: 40 },
    legend: { top: 0, type: "scroll" },
    tooltip: { trigger: "axis" },
    xAxis: {
      type: "time",
      // Room either side, so that a single reading or the newest one is not drawn on the frame.
      min: (v) => v.min - Math.max(120000, (v.max - v.min) * 0.05),
      max: (v) => v.max + Math.max(120000, (v.max - v.min) * 0.05),
    },
    yAxis: [
      { type: "value", name: "cps", scale: true, show: lines.some((s) => s.axis === 0) },
      { type: "value", name: "%", min: 0, max: 100, show: lines.some((s) => s.axis === 1) },
    ],
    series: lines.map((s) => ({
      name: s.name,
      type: markerOnly(s.name) ? "scatter" : "line",
      yAxisIndex: s.axis,
      symbolSize: markerOnly(s.name) ? 14 : 7,
      showSymbol: true,
      data: s.points.map((pt) => ({
        value: pt.value,
        itemStyle: pt.alarm ? { color: "#b3261e", borderColor: "#b3261e" } : undefined,
      })),
    })),
  });
}

function addReading(p) {
  const d = state.detail;
  if (!d || d.readings.some((r) => r.id === p.id)) return;
  d.readings.push(p);
  d.readings.sort((a, b) => a.taken_at.localeCompare(b.taken_at) || a.id - b.id);
  const count = $("reading-count");
  if (count) count.textContent = `${d.readings.length} readings`;
  drawChart();
}

window.addEventListener("resize", () => chart && chart.resize());

// --- start -------------------------------------------------------------------------------------

window.customsConsole = {
  get seq() {
    return state.seq;
  },
  get queue() {
    return ranked().map((c) => ({ id: c.id, subject: subjectLabel(c), priority: c.priority, status: c.status }));
  },
  get selected() {
    return state.selected;
  },
  get readings() {
    return state.detail ? state.detail.readings.map((r) => r.id) : [];
  },
};

(async () => {
  try {
    const seq = await loadSnapshot();
    setStatus("connecting");
    live = connectLive({
      terminalId,
      seq,
      onEvent: apply,
      onStatus: setStatus,
      onResync: () => loadSnapshot().then((s) => live && live.resetSeq(s)),
    });
    const wanted = Number(new URL(location.href).searchParams.get("case"));
    if (wanted) await select(wanted);
  } catch (err) {
    showMessage(`Could not load the queue: ${err.message}`);
  }
})();
