// KPI page: pick a period, fetch every figure from /api/v1/kpis/<figure>/ and draw its tiles
// and its ECharts plot. The period lives in the page address (?start=&end=, ISO 8601) so that
// a view can be bookmarked and shared.
/* global echarts */

const root = document.getElementById("kpis");
const apiBase = root.dataset.api;
const form = document.getElementById("period");
const startInput = document.getElementById("start");
const endInput = document.getElementById("end");
const message = document.getElementById("message");
const HOUR = 3600 * 1000;
const COLOURS = ["#0b5fa5", "#1a8a4a", "#c77800", "#7b4fb3", "#b3261e", "#2a9fb8", "#5b6b7c"];

const state = { start: null, end: null, figures: {}, charts: {}, loads: 0 };
window.__kpis = state;

// --- period ---------------------------------------------------------------------------------

function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

function defaultPeriod() {
  const end = new Date();
  end.setMinutes(0, 0, 0);
  end.setTime(end.getTime() + HOUR);
  return [new Date(end.getTime() - 24 * HOUR), end];
}

function periodFromAddress() {
  const params = new URLSearchParams(window.location.search);
  const start = params.get("start") ? new Date(params.get("start")) : null;
  const end = params.get("end") ? new Date(params.get("end")) : null;
  if (start && end && !Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime())) {
    return [start, end];
  }
  return defaultPeriod();
}

function setPeriod(start, end) {
  state.start = start;
  state.end = end;
  startInput.value = toLocalInput(start);
  endInput.value = toLocalInput(end);
  const params = new URLSearchParams({ start: start.toISOString(), end: end.toISOString() });
  window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
}

function showMessage(text) {
  message.textContent = text;
  message.hidden = !text;
}

// --- formatting -----------------------------------------------------------------------------

function fmt(value, unit) {
  if (value === null || value === undefined) return "—";
  const text =
    typeof value === "number"
      ? value.toLocaleString("en-GB", { maximumFractionDigits: 2 })
      : String(value);
  return unit ? `${text} ${unit}` : text;
}

// --- charts per figure ----------------------------------------------------------------------

const base = (extra) => ({
  color: COLOURS,
  animation: false,
  tooltip: { trigger: "axis", confine: true },
  grid: { left: 56, right: 24, top: 48, bottom: 56 },
  legend: { top: 0 },
  ...extra,
});

function bars(labels, series, yName) {
  return base({
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", name: yName },
    series,
  });
}

function timeLine(points, yName, name, max) {
  return base({
    xAxis: { type: "time" },
    yAxis: { type: "value", name: yName, max },
    series: [{ type: "line", name, showSymbol: points.length < 40, data: points, areaStyle: { opacity: 0.12 } }],
  });
}

/** A level over time (top) and per block now (bottom), for occupancy and plug use. */
function levelAndBlocks(data, blockValue, yName) {
  const blocks = data.rows.map((r) => r.block);
  return {
    color: COLOURS,
    animation: false,
    tooltip: { trigger: "axis", confine: true },
    legend: { top: 0 },
    grid: [
      { left: 56, right: 24, top: 48, height: "30%" },
      { left: 56, right: 24, top: "60%", bottom: 48 },
    ],
    xAxis: [
      { type: "time", gridIndex: 0 },
      { type: "category", gridIndex: 1, data: blocks, axisLabel: { interval: 0, rotate: blocks.length > 8 ? 30 : 0 } },
    ],
    yAxis: [
      { type: "value", gridIndex: 0, name: yName, max: 100 },
      { type: "value", gridIndex: 1, name: `${yName} by block`, max: 100 },
    ],
    series: [
      {
        type: "line",
        name: "whole yard",
        xAxisIndex: 0,
        yAxisIndex: 0,
        showSymbol: data.series.length < 40,
        data: data.series.map((p) => [p[0], p[2]]),
        areaStyle: { opacity: 0.12 },
      },
      {
        type: "bar",
        name: "at period end",
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: data.rows.map(blockValue),
      },
    ],
  };
}

function histogram(groups, key, labelKey, stack = "n") {
  const used = groups.filter((g) => g.count > 0);
  const labels = (used[0] || groups[0]).histogram.map((h) => h.bin);
  return bars(
    labels,
    used.map((g) => ({
      type: "bar",
      stack: stack || undefined,
      name: `${g[labelKey]} (p50 ${fmt(g.p50)}, p90 ${fmt(g.p90)})`,
      data: g.histogram.map((h) => h.count),
    })),
    key,
  );
}

const CHARTS = {
  "crane-rate": (d) =>
    bars(
      d.rows.map((r) => `${r.crane} · ${r.visit}`),
      [
        {
          type: "bar",
          name: "GCR (moves/h)",
          data: d.rows.map((r) => r.gcr),
          label: { show: true, position: "top" },
        },
      ],
      "moves/h",
    ),
  "berth-productivity": (d) =>
    bars(
      d.rows.map((r) => r.vessel),
      [
        { type: "bar", name: "BMPH (moves/h)", data: d.rows.map((r) => r.bmph), label: { show: true, position: "top" } },
      ],
      "moves/h",
    ),
  "berth-utilisation": (d) => timeLine(d.series, "%", "quay used", 100),
  "yard-occupancy": (d) => levelAndBlocks(d, (r) => r.pct, "%"),
  "reefer-plugs": (d) => levelAndBlocks(d, (r) => r.pct, "% plugs"),
  dwell: (d) => histogram(d.categories, "units", "label"),
  "truck-turn": (d) =>
    histogram(
      [
        { ...d.in_terminal, label: "in terminal" },
        { ...d.queue, label: "pre-gate queue" },
      ],
      "trucks",
      "label",
      null,
    ),
  "gate-transactions": (d) =>
    base({
      xAxis: { type: "time" },
      yAxis: { type: "value", name: "per hour", minInterval: 1 },
      series: [
        ["gate-in accepted", 1],
        ["gate-in refused", 2],
        ["gate-out", 3],
      ].map(([name, i]) => ({
        type: "bar",
        stack: "t",
        name,
        data: d.series.map((r) => [r[0], r[i]]),
      })),
    }),
  "customs-clearance": (d) => histogram(d.kinds, "declarations", "label"),
};

// --- rendering ------------------------------------------------------------------------------

function renderTiles(card, data) {
  const box = card.querySelector(".kpi-tiles");
  box.replaceChildren(
    ...data.tiles.map((t) => {
      const tile = document.createElement("div");
      tile.className = "kpi-tile";
      tile.dataset.key = t.key;
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = t.label;
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = fmt(t.value, t.unit);
      tile.append(label, value);
      return tile;
    }),
  );
}

function render(name, data) {
  const card = document.getElementById(`kpi-${name}`);
  state.figures[name] = data;
  renderTiles(card, data);
  const empty = card.querySelector(".kpi-empty");
  const holder = card.querySelector(".kpi-chart");
  empty.textContent = data.empty;
  empty.hidden = !data.empty;
  holder.hidden = Boolean(data.empty);
  if (data.empty) {
    if (state.charts[name]) state.charts[name].clear();
    card.dataset.state = "empty";
    return;
  }
  const chart = state.charts[name] || echarts.init(holder, null, { renderer: "canvas" });
  state.charts[name] = chart;
  chart.setOption(CHARTS[name](data), true);
  chart.resize();
  card.dataset.state = "ready";
}

function renderError(name, text) {
  const card = document.getElementById(`kpi-${name}`);
  card.dataset.state = "error";
  const empty = card.querySelector(".kpi-empty");
  empty.textContent = text;
  empty.hidden = false;
  card.querySelector(".kpi-chart").hidden = true;
}

async function loadFigure(name, params) {
  const card = document.getElementById(`kpi-${name}`);
  card.dataset.state = "loading";
  const resp = await fetch(`${apiBase}${name}/?${params}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const text = body.message || `The figure could not be computed (HTTP ${resp.status}).`;
    renderError(name, text);
    return text;
  }
  render(name, body);
  return "";
}

async function loadAll() {
  const load = ++state.loads;
  showMessage("");
  const params = new URLSearchParams({
    start: state.start.toISOString(),
    end: state.end.toISOString(),
  });
  const names = [...document.querySelectorAll(".kpi-card")].map((c) => c.dataset.figure);
  const errors = await Promise.all(names.map((n) => loadFigure(n, params).catch((e) => String(e))));
  if (load !== state.loads) return;
  const first = errors.find(Boolean);
  if (first) showMessage(first);
  root.dataset.loaded = String(load);
}

// --- wiring ---------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const start = new Date(startInput.value);
  const end = new Date(endInput.value);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    showMessage("Enter both the start and the end of the period.");
    return;
  }
  if (end <= start) {
    showMessage("The end of the period must be after its start.");
    return;
  }
  setPeriod(start, end);
  loadAll();
});

for (const button of form.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    const [, end] = defaultPeriod();
    setPeriod(new Date(end.getTime() - Number(button.dataset.preset) * HOUR), end);
    loadAll();
  });
}

window.addEventListener("resize", () => {
  for (const chart of Object.values(state.charts)) chart.resize();
});

const [start, end] = periodFromAddress();
setPeriod(start, end);
loadAll();
