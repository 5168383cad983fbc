// Home dashboard: live numbers and the event feed, kept current by live.js.
import { connectLive } from "./live.js";

const root = document.getElementById("dashboard");
const terminalId = Number(root.dataset.terminal);
const feed = document.getElementById("event-feed");
const seqLabel = document.getElementById("seq-label");
const statusDot = document.getElementById("live-status");
const FEED_MAX = 50;

function describe(e) {
  const p = e.payload || {};
  return p.container || p.reference || p.kind || "";
}

function addToFeed(e) {
  const empty = feed.querySelector(".empty");
  if (empty) empty.remove();
  const li = document.createElement("li");
  li.dataset.seq = e.seq;
  li.className = "new";
  const time = e.ts ? e.ts.slice(11, 19) : "";
  li.innerHTML = '<span class="seq"></span> <span class="type"></span> <span class="desc"></span> <time></time>';
  li.querySelector(".seq").textContent = `#${e.seq}`;
  li.querySelector(".type").textContent = e.type;
  li.querySelector(".desc").textContent = describe(e);
  li.querySelector("time").textContent = time;
  feed.prepend(li);
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
}

function setText(el, value) {
  if (el && el.textContent !== String(value)) {
    el.textContent = value;
    el.classList.add("changed");
    setTimeout(() => el.classList.remove("changed"), 800);
  }
}

let refreshTimer = null;
async function refreshSummary() {
  const resp = await fetch(`/api/v1/terminals/${terminalId}/summary/`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!resp.ok) return null;
  const s = await resp.json();
  for (const key of ["vessels_in_port", "vessels_expected", "units_on_terminal", "holds_active"]) {
    setText(root.querySelector(`[data-stat="${key}"]`), s[key]);
  }
  const table = document.querySelector("#by-category tbody");
  table.replaceChildren(
    ...Object.entries(s.units_by_category).map(([category, n]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.textContent = category.charAt(0).toUpperCase() + category.slice(1);
      const td = document.createElement("td");
      td.dataset.category = category;
      td.textContent = n;
      tr.append(th, td);
      return tr;
    }),
  );
  return s;
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshSummary, 150);
}

const live = connectLive({
  terminalId,
  seq: Number(root.dataset.seq),
  onEvent(e) {
    addToFeed(e);
    seqLabel.textContent = `seq ${e.seq}`;
    scheduleRefresh();
  },
  onStatus(status) {
    if (statusDot) {
      statusDot.dataset.state = status;
      statusDot.title = `Live connection: ${status}`;
    }
  },
  async onResync() {
    const s = await refreshSummary();
    if (s) live.resetSeq(s.seq);
  },
  onDenied() {
    location.reload();
  },
});
