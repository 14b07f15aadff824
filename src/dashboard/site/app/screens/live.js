// Live map (admin, manager): every task in progress from GET /live, refreshed every 5 s.
//
// Layers are created once per task and route and then moved or extended in place, so a
// refresh never flickers and never touches the user's pan and zoom (the view is fitted
// once, on the first data, and only until the user moves the map). Tracks are read once
// from GET /tasks/{id}/track and then extended with each new live position; the
// track's last page is read again when a courier's last-seen time jumps by more than a
// phone's cadence (an offline batch arrived), for the selected courier on every refresh,
// and every 2 minutes otherwise.

import { ApiError } from "../api.js";
import { createMap } from "../map/base.js";
import { ago, errorSlot, fill, h, metres, money, percent, showError, when } from "../ui.js";

export const path = "live";
export const title = "Live map";
export const roles = ["admin", "manager"];

export const SILENT_AFTER_S = 120;
const TRACK_RESYNC_MS = 120000;
const GAP_MS = 25000; // phones report every 10 s: a longer gap between two refreshes means a batch came late
const TRACK_PAGE = 1000;
const TRACK_CONCURRENCY = 3;

export function mount(container, ctx) {
  const view = new LiveView(container, ctx);
  view.start();
  return () => view.stop();
}

class LiveView {
  constructor(container, ctx) {
    this.ctx = ctx;
    this.container = container;
    this.entries = new Map(); // taskId -> {item, marker, track, points, cursor, syncedAt, row}
    this.routes = new Map(); // routeId -> {layer, users, loading}
    this.selected = null;
    this.userMoved = false;
    this.fitted = false;
    this.stopped = false;
    this.refreshMs = (ctx.config.liveRefreshSeconds || 5) * 1000;
    this.clockOffset = 0; // server time minus browser time, from /live's asOf
    this.trackQueue = [];
    this.trackBusy = 0;
    this.refreshes = 0;
  }

  start() {
    const L = window.L;
    this.mapEl = h("div", { class: "map", id: "live-map" });
    this.status = h("p", { class: "status", role: "status" }, "Loading the couriers on the road…");
    this.error = errorSlot();
    this.list = h("ol", { class: "couriers", "aria-label": "Couriers on the road" });
    this.details = h("section", { class: "details", hidden: true, "aria-label": "Selected courier" });
    fill(this.container, h("div", { class: "live" }, this.mapEl,
      h("aside", { class: "panel" }, h("h1", {}, "Live map"), this.status, this.error, this.list, this.details)));
    this.view = createMap(this.mapEl, this.ctx.config, { onTilesChanged: () => this.ctx.navigate("#/live") });
    this.map = this.view.map;
    this.layers = {
      routes: L.layerGroup().addTo(this.map),
      tracks: L.layerGroup().addTo(this.map),
      markers: L.layerGroup().addTo(this.map),
    };
    // A user's pan or zoom wins over fitting the view to the data.
    this.map.on("dragstart zoomstart", (event) => { if (!this.fitting) this.userMoved = true; });
    this.ctx.liveMap = this; // for the console, the tests and the benchmark
    this.tick = setInterval(() => this.updateAges(), 1000);
    this.onVisible = () => { if (!document.hidden) this.refreshSoon(0); };
    document.addEventListener("visibilitychange", this.onVisible);
    this.refreshSoon(0);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.tick);
    document.removeEventListener("visibilitychange", this.onVisible);
    if (this.ctx.liveMap === this) this.ctx.liveMap = null;
    this.map.remove();
  }

  refreshSoon(delay = this.refreshMs) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.refresh(), delay);
  }

  now() { return Date.now() + this.clockOffset; }

  async refresh() {
    if (this.stopped) return;
    if (document.hidden) return; // nothing to watch: the visibility listener restarts it
    try {
      // Every page of running tasks (1,000 a page), then the map is updated once.
      const items = [];
      let asOf = null;
      let cursor = null;
      do {
        const page = await this.ctx.api.get("/live", cursor ? { cursor } : {});
        if (this.stopped) return;
        asOf = asOf || page.asOf;
        items.push(...(page.items || []));
        cursor = page.nextCursor;
      } while (cursor);
      if (asOf) this.clockOffset = Date.parse(asOf) - Date.now();
      this.apply(items);
      showError(this.error, null);
      this.refreshes += 1;
      this.lastRefresh = Date.now();
    } catch (error) {
      if (error.sessionExpired || this.stopped) return;
      showError(this.error, new ApiError(error.status, error.code,
        `Could not refresh the map: ${error.message} Trying again in ${this.refreshMs / 1000} s.`));
    }
    this.updateAges();
    this.refreshSoon();
  }

  apply(items) {
    const seen = new Set();
    for (const item of items) {
      seen.add(item.taskId);
      this.upsert(item);
    }
    for (const [taskId, entry] of this.entries) {
      if (!seen.has(taskId)) this.remove(taskId, entry);
    }
    this.sortList();
    if (!this.fitted) this.fitToData();
    if (this.selected && !this.entries.has(this.selected)) this.select(null);
  }

  /** Show every courier and their routes, until the user has moved the map themselves. */
  fitToData() {
    if (this.userMoved) return;
    const points = [...this.entries.values()].filter((e) => e.item.position).map((e) => this.latlng(e.item.position));
    for (const route of this.routes.values()) {
      if (route.data) points.push(...route.data.waypoints.map((p) => this.latlng(p)));
    }
    if (!points.length) return;
    this.fitting = true;
    this.fitted = this.view.fit(points);
    this.fitting = false;
  }

  latlng(point) { return this.view.toMap(Number(point.lat), Number(point.lng)); }

  upsert(item) {
    const L = window.L;
    let entry = this.entries.get(item.taskId);
    const isNew = !entry;
    if (isNew) {
      entry = { item, points: [], cursor: null, syncedAt: 0, color: colorFor(item.courier && (item.courier.username || item.courier.userId)) };
      entry.track = L.polyline([], { color: entry.color, weight: 3, opacity: 0.85, className: "track" });
      entry.track.addTo(this.layers.tracks);
      entry.row = this.row(item.taskId, entry);
      this.entries.set(item.taskId, entry);
      this.useRoute(item.routeId);
    }
    const before = entry.item;
    entry.item = item;
    const position = item.position;
    if (position) {
      const at = this.latlng(position);
      if (!entry.marker) {
        entry.marker = L.marker(at, { icon: this.icon(entry), keyboard: true, title: courierName(item), riseOnHover: true });
        entry.marker.on("click", () => this.select(item.taskId));
        entry.marker.bindTooltip(courierName(item), { direction: "right", offset: [10, 0], permanent: true, className: "courier-label" });
        entry.marker.addTo(this.layers.markers);
      } else if (!before.position || before.position.lat !== position.lat || before.position.lng !== position.lng) {
        entry.marker.setLatLng(at);
      }
      const last = entry.points[entry.points.length - 1];
      if (!last || position.ts > last.ts) {
        entry.points.push({ lat: Number(position.lat), lng: Number(position.lng), ts: position.ts });
        entry.track.addLatLng(at);
      }
    }
    if (isNew || (before.lastSeen !== item.lastSeen && this.trackMayMiss(before, item, entry))) {
      this.queueTrack(item.taskId);
    }
    this.updateRow(entry);
  }

  /**
   * Whether points may have arrived that the live positions did not show: a gap longer
   * than a phone's cadence (a batch sent after a spell offline), the selected courier,
   * or a while since the last read. Otherwise the track grows from /live alone.
   */
  trackMayMiss(before, item, entry) {
    if (this.selected === item.taskId || Date.now() - entry.syncedAt > TRACK_RESYNC_MS) return true;
    if (!before.lastSeen || !item.lastSeen) return true;
    return Date.parse(item.lastSeen) - Date.parse(before.lastSeen) > GAP_MS;
  }

  remove(taskId, entry) {
    if (entry.marker) this.layers.markers.removeLayer(entry.marker);
    this.layers.tracks.removeLayer(entry.track);
    entry.row.remove();
    this.entries.delete(taskId);
    this.releaseRoute(entry.item.routeId);
  }

  icon(entry) {
    const silent = this.silent(entry.item);
    entry.iconSilent = silent;
    const name = courierName(entry.item);
    return window.L.divIcon({
      className: `courier-pin${silent ? " silent" : ""}`,
      html: `<span style="background:${entry.color}" data-task-id="${escapeAttr(entry.item.taskId)}">${escapeHtml(initials(name))}</span>`,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
  }

  // -- routes: one layer per route, shared by its tasks --------------------------------------
  useRoute(routeId) {
    if (!routeId) return;
    let route = this.routes.get(routeId);
    if (route) {
      route.users += 1;
      return;
    }
    route = { users: 1, layer: null };
    this.routes.set(routeId, route);
    this.ctx.api.get(`/routes/${encodeURIComponent(routeId)}`).then((data) => {
      if (this.stopped || this.routes.get(routeId) !== route) return;
      route.data = data;
      route.layer = this.routeLayer(data);
      route.layer.addTo(this.layers.routes);
      this.fitToData(); // the route may reach beyond its couriers
      for (const entry of this.entries.values()) if (entry.item.routeId === routeId) this.updateRow(entry);
    }).catch((error) => {
      if (!error.sessionExpired) showError(this.error, new ApiError(error.status, error.code, `Route ${routeId}: ${error.message}`));
    });
  }

  releaseRoute(routeId) {
    const route = this.routes.get(routeId);
    if (!route) return;
    route.users -= 1;
    if (route.users <= 0) {
      if (route.layer) this.layers.routes.removeLayer(route.layer);
      this.routes.delete(routeId);
    }
  }

  routeLayer(route) {
    const L = window.L;
    const points = route.waypoints.map((p) => this.latlng(p));
    const group = L.layerGroup();
    L.polyline(points, { color: "#57606a", weight: 4, opacity: 0.7, dashArray: "8 6", className: "route" })
      .bindTooltip(route.name, { sticky: true }).addTo(group);
    points.forEach((at, index) => {
      L.circleMarker(at, {
        radius: index === 0 || index === points.length - 1 ? 6 : 4,
        color: "#57606a", weight: 2, fillColor: index === 0 ? "#2da44e" : index === points.length - 1 ? "#cf222e" : "#ffffff",
        fillOpacity: 1, className: "waypoint",
      }).bindTooltip(`${route.name}: stop ${index + 1} of ${points.length}`).addTo(group);
    });
    return group;
  }

  // -- tracks: read once, extended live, re-read now and then -------------------------------
  queueTrack(taskId) {
    if (!this.trackQueue.includes(taskId)) this.trackQueue.push(taskId);
    this.pumpTracks();
  }

  pumpTracks() {
    while (this.trackBusy < TRACK_CONCURRENCY && this.trackQueue.length && !this.stopped) {
      const taskId = this.trackQueue.shift();
      const entry = this.entries.get(taskId);
      if (!entry) continue;
      this.trackBusy += 1;
      this.syncTrack(taskId, entry).catch((error) => {
        if (!error.sessionExpired && !this.stopped) showError(this.error, new ApiError(error.status, error.code, `Track of ${courierName(entry.item)}: ${error.message}`));
      }).finally(() => {
        this.trackBusy -= 1;
        this.pumpTracks();
      });
    }
  }

  /** Read the track from the start of its last known page; keep what came before it. */
  async syncTrack(taskId, entry) {
    entry.syncedAt = Date.now();
    let cursor = entry.cursor;
    let kept = entry.pagesBefore || [];
    let points = [];
    for (;;) {
      const page = await this.ctx.api.get(`/tasks/${encodeURIComponent(taskId)}/track`, { limit: TRACK_PAGE, cursor });
      if (!page.nextCursor) {
        points = points.concat(page.items);
        break;
      }
      kept = kept.concat(points, page.items);
      points = [];
      cursor = page.nextCursor;
    }
    if (this.stopped || this.entries.get(taskId) !== entry) return;
    entry.cursor = cursor; // the last page starts here: the next sync reads from it
    entry.pagesBefore = kept;
    const all = kept.concat(points).map((p) => ({ lat: Number(p.lat), lng: Number(p.lng), ts: p.ts }));
    const live = entry.item.position;
    if (live && (!all.length || live.ts > all[all.length - 1].ts)) all.push({ lat: Number(live.lat), lng: Number(live.lng), ts: live.ts });
    entry.points = all;
    entry.track.setLatLngs(all.map((p) => this.latlng(p)));
  }

  // -- the list beside the map --------------------------------------------------------------
  row(taskId, entry) {
    const row = h("li", { class: "courier", dataset: { taskId }, tabindex: 0 });
    row.addEventListener("click", () => this.select(taskId));
    row.addEventListener("keydown", (event) => { if (event.key === "Enter") this.select(taskId); });
    entry.cells = {
      name: h("span", { class: "name" }),
      flag: h("span", { class: "flag", hidden: true }, "silent"),
      task: h("span", { class: "task" }),
      progress: h("span", { class: "progress" }),
      bar: h("span", { class: "bar" }),
      seen: h("span", { class: "seen" }),
    };
    const c = entry.cells;
    row.append(h("span", { class: "dot", style: `background:${entry.color}` }), c.name, c.flag, c.task,
      h("span", { class: "meter" }, c.bar), c.progress, c.seen);
    this.list.append(row);
    return row;
  }

  updateRow(entry) {
    const item = entry.item;
    const c = entry.cells;
    c.name.textContent = courierName(item);
    const route = this.routes.get(item.routeId);
    c.task.textContent = route && route.data ? route.data.name : "";
    c.progress.textContent = item.progress === null || item.progress === undefined ? "progress –" : percent(item.progress);
    c.bar.style.width = `${Math.round((item.progress || 0) * 100)}%`;
    entry.row.classList.toggle("selected", this.selected === item.taskId);
    entry.row.classList.toggle("no-position", !item.position);
    this.updateAge(entry);
  }

  silent(item) {
    if (!item.lastSeen) return false;
    return (this.now() - Date.parse(item.lastSeen)) / 1000 > SILENT_AFTER_S;
  }

  updateAge(entry) {
    const item = entry.item;
    const c = entry.cells;
    if (!item.position || !item.lastSeen) {
      c.seen.textContent = "no position yet";
      c.flag.hidden = true;
      return;
    }
    const seconds = (this.now() - Date.parse(item.lastSeen)) / 1000;
    c.seen.textContent = `last seen ${ago(seconds)}`;
    const silent = seconds > SILENT_AFTER_S;
    c.flag.hidden = !silent;
    c.flag.title = "No position for over 2 minutes";
    entry.row.classList.toggle("silent", silent);
    if (entry.marker && entry.iconSilent !== silent) entry.marker.setIcon(this.icon(entry));
  }

  updateAges() {
    for (const entry of this.entries.values()) this.updateAge(entry);
    const count = this.entries.size;
    const silent = [...this.entries.values()].filter((e) => this.silent(e.item)).length;
    const since = this.lastRefresh ? ` · updated ${ago((Date.now() - this.lastRefresh) / 1000)}` : "";
    this.status.textContent = count
      ? `${count} ${count === 1 ? "courier" : "couriers"} on the road${silent ? `, ${silent} silent` : ""}${since}`
      : `No task in progress right now${since}.`;
    if (this.selected) this.updateDetailsAge();
  }

  sortList() {
    const rows = [...this.entries.values()].sort((a, b) => courierName(a.item).localeCompare(courierName(b.item)) || a.item.taskId.localeCompare(b.item.taskId));
    rows.forEach((entry, index) => {
      if (this.list.children[index] !== entry.row) this.list.insertBefore(entry.row, this.list.children[index] || null);
    });
  }

  // -- details of the selected courier ------------------------------------------------------
  async select(taskId) {
    const previous = this.entries.get(this.selected);
    this.selected = taskId;
    if (previous) { previous.track.setStyle({ weight: 3 }); this.updateRow(previous); }
    if (!taskId) {
      this.details.hidden = true;
      return;
    }
    const entry = this.entries.get(taskId);
    entry.track.setStyle({ weight: 6 });
    entry.track.bringToFront();
    this.updateRow(entry);
    this.queueTrack(taskId);
    const item = entry.item;
    const taskError = errorSlot();
    const receiptsBox = h("div", { class: "receipts" }, h("p", { class: "muted" }, "Loading receipts…"));
    this.detailSeen = h("span", {});
    fill(this.details,
      h("header", {}, h("h2", {}, courierName(item)),
        h("button", { type: "button", class: "link", "aria-label": "Close", onclick: () => this.select(null) }, "×")),
      h("dl", { class: "facts" },
        h("dt", {}, "Task"), h("dd", { class: "task-title" }, "…"),
        h("dt", {}, "Bonus"), h("dd", { class: "task-bonus" }, "…"),
        h("dt", {}, "Window"), h("dd", { class: "task-window" }, "…"),
        h("dt", {}, "Progress"), h("dd", {}, percent(item.progress)),
        h("dt", {}, "Travelled"), h("dd", {}, metres(item.distanceM)),
        h("dt", {}, "Off route"), h("dd", {}, metres(item.offRouteM)),
        h("dt", {}, "Last seen"), h("dd", {}, this.detailSeen)),
      taskError,
      h("h3", {}, "Receipts"), receiptsBox);
    this.details.hidden = false;
    this.updateDetailsAge();
    const [task, receipts] = await Promise.allSettled([
      this.ctx.api.get(`/tasks/${encodeURIComponent(taskId)}`),
      this.ctx.api.get(`/tasks/${encodeURIComponent(taskId)}/receipts`),
    ]);
    if (this.selected !== taskId) return;
    if (task.status === "fulfilled") {
      const t = task.value;
      this.details.querySelector(".task-title").textContent = t.title;
      this.details.querySelector(".task-bonus").textContent = money(t.bonus);
      this.details.querySelector(".task-window").textContent = `${when(t.window.start)} – ${when(t.window.end)}`;
    } else {
      showError(taskError, task.reason);
    }
    if (receipts.status === "fulfilled") {
      const items = receipts.value.items || [];
      fill(receiptsBox, items.length ? h("ul", { class: "receipt-list" }, items.map(receiptLine)) : h("p", { class: "muted" }, "No receipts yet."));
    } else {
      fill(receiptsBox, h("p", { class: "error", role: "alert" }, `Receipts: ${receipts.reason.message}`));
    }
  }

  updateDetailsAge() {
    const entry = this.entries.get(this.selected);
    if (!entry || !this.detailSeen) return;
    const item = entry.item;
    this.detailSeen.textContent = item.lastSeen ? ago((this.now() - Date.parse(item.lastSeen)) / 1000) : "no position yet";
  }

  /** Where a task's marker is, in WGS-84 (tests and the console). */
  markerPosition(taskId) {
    const entry = this.entries.get(taskId);
    if (!entry || !entry.marker) return null;
    return this.view.fromMap(entry.marker.getLatLng());
  }
}

export function receiptLine(receipt) {
  // What is paid: the correction when there is one (the amount read stays beside it).
  const read = receipt.amount ? `${receipt.amount} ${receipt.currency || ""}` : "no amount";
  const amount = receipt.correction ? money(receipt.correction) : read;
  const corrected = receipt.correction ? ` (corrected; read ${read})` : "";
  return h("li", { class: `receipt status-${receipt.status}` },
    h("span", { class: "badge" }, receipt.status), " ", amount + corrected,
    receipt.confidence !== undefined && receipt.confidence !== null ? h("span", { class: "muted" }, ` · confidence ${percent(receipt.confidence)}`) : null);
}

function courierName(item) {
  return (item.courier && (item.courier.username || item.courier.userId)) || "courier";
}

function initials(name) {
  const letters = name.replace(/[^A-Za-z0-9]/g, "");
  const digits = name.match(/\d+$/);
  return digits ? `${letters[0] || "?"}${digits[0]}`.slice(0, 3).toUpperCase() : letters.slice(0, 2).toUpperCase() || "?";
}

function colorFor(key) {
  let hash = 2166136261; // FNV-1a, then the golden angle: neighbours (courier1, courier2) get far-apart hues
  for (const ch of String(key || "")) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `hsl(${Math.round((hash % 360) * 137.508) % 360} 70% 40%)`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
}

function escapeAttr(text) { return escapeHtml(text); }
