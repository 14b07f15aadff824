// Routes (admin draws, manager reads): the routes, one shown on the map; an admin draws a
// new one by clicking its waypoints in order, sees its length as it grows, and saves it.
// Clicks are converted back to WGS-84 when the tiles are GCJ-02 (see map/base.js).

import { createMap, pathLength } from "../map/base.js";
import { act, errorSlot, fill, h, metres, showError, when } from "../ui.js";

export const path = "routes";
export const title = "Routes";
export const roles = ["admin", "manager"];

export function mount(container, ctx) {
  const L = window.L;
  const isAdmin = ctx.session.role === "admin";
  const mapEl = h("div", { class: "map", id: "routes-map" });
  const list = h("ol", { class: "route-list", "aria-label": "Routes" });
  const listError = errorSlot();
  const side = h("aside", { class: "panel" });
  fill(container, h("div", { class: "live routes-page" }, mapEl, side));
  const view = createMap(mapEl, ctx.config, { onTilesChanged: () => ctx.navigate("#/routes") });
  const shown = L.layerGroup().addTo(view.map);
  let drawing = null;

  function show(route) {
    shown.clearLayers();
    const points = route.waypoints.map((p) => view.toMap(p.lat, p.lng));
    L.polyline(points, { color: "#1f6feb", weight: 4, className: "route" }).addTo(shown);
    points.forEach((at, i) => L.circleMarker(at, { radius: 5, color: "#1f6feb", fillColor: "#fff", fillOpacity: 1, className: "waypoint" })
      .bindTooltip(`Stop ${i + 1}`).addTo(shown));
    view.fit(points);
    for (const item of list.children) item.classList.toggle("selected", item.dataset.routeId === route.routeId);
  }

  async function load(selectId) {
    try {
      const routes = await ctx.api.all("/routes", { limit: 100 }, 500);
      fill(list, routes.length ? routes.map((r) => {
        const item = h("li", { class: "route-item", dataset: { routeId: r.routeId }, tabindex: 0 },
          h("strong", {}, r.name), h("span", { class: "muted" }, ` · ${metres(r.lengthM)} · ${r.waypointCount ?? "?"} stops`),
          h("div", { class: "muted small" }, `created ${when(r.createdAt)}`),
          isAdmin ? h("a", { href: `#/tasks?route=${encodeURIComponent(r.routeId)}`, class: "small" }, "Publish a task on it") : null);
        item.addEventListener("click", async () => {
          if (drawing) return;
          try { show(await ctx.api.get(`/routes/${encodeURIComponent(r.routeId)}`)); } catch (e) { showError(listError, e); }
        });
        return item;
      }) : h("li", { class: "muted" }, "No routes yet."));
      if (selectId) list.querySelector(`[data-route-id="${CSS.escape(selectId)}"]`)?.click();
    } catch (error) {
      showError(listError, error);
    }
  }

  // -- drawing (admin) ----------------------------------------------------------------------
  const name = h("input", { id: "route-name", maxlength: 200, placeholder: "Mitte loop" });
  const length = h("p", { class: "length", role: "status" }, "Click the map to add the first stop.");
  const save = h("button", { type: "button", class: "primary" }, "Save route");
  const undo = h("button", { type: "button" }, "Undo last stop");
  const cancel = h("button", { type: "button" }, "Cancel");
  const drawError = errorSlot();
  const start = h("button", { type: "button", class: "primary" }, "Draw a new route");
  const drawBox = h("section", { class: "card draw", hidden: true },
    h("h2", {}, "New route"), h("label", { for: "route-name" }, "Name"), name, length,
    h("div", { class: "actions" }, save, undo, cancel), drawError);

  function redraw() {
    shown.clearLayers();
    const points = drawing.map((p) => view.toMap(p.lat, p.lng));
    L.polyline(points, { color: "#cf222e", weight: 4, dashArray: "6 4", className: "route drawing" }).addTo(shown);
    points.forEach((at, i) => L.circleMarker(at, { radius: 6, color: "#cf222e", fillColor: "#fff", fillOpacity: 1, className: "waypoint" })
      .bindTooltip(`Stop ${i + 1}`).addTo(shown));
    length.textContent = drawing.length < 2
      ? `${drawing.length} stop${drawing.length === 1 ? "" : "s"}: a route needs at least two.`
      : `${drawing.length} stops · ${metres(pathLength(drawing))}`;
  }

  function onClick(event) {
    if (!drawing) return;
    const at = view.fromMap(event.latlng);
    drawing.push({ lat: round(at.lat), lng: round(at.lng) });
    redraw();
  }
  view.map.on("click", onClick);

  start.addEventListener("click", () => {
    drawing = [];
    drawBox.hidden = false;
    start.hidden = true;
    mapEl.classList.add("drawing");
    showError(drawError, null);
    redraw();
    name.focus();
  });
  undo.addEventListener("click", () => { if (drawing) { drawing.pop(); redraw(); } });
  cancel.addEventListener("click", () => stopDrawing());
  save.addEventListener("click", async () => {
    if (!name.value.trim()) return showError(drawError, new Error("Name the route."));
    if (drawing.length < 2) return showError(drawError, new Error("Click at least two stops on the map."));
    const route = await act(save, drawError, () => ctx.api.post("/routes", { name: name.value.trim(), waypoints: drawing }));
    if (route) {
      stopDrawing();
      length.textContent = "";
      side.querySelector(".saved").textContent = `Saved “${route.name}”: ${metres(route.lengthM)} along ${route.waypoints.length} stops.`;
      await load(route.routeId);
    }
    return undefined;
  });

  function stopDrawing() {
    drawing = null;
    drawBox.hidden = true;
    start.hidden = false;
    name.value = "";
    mapEl.classList.remove("drawing");
    shown.clearLayers();
  }

  fill(side, h("h1", {}, "Routes"), isAdmin ? [start, drawBox] : null, h("p", { class: "ok saved", role: "status" }),
    listError, list);
  load();
  return () => view.map.remove();
}

function round(value) {
  return Math.round(value * 1e6) / 1e6; // about 0.1 m: what a click can mean
}
