// Tasks (admin, manager): publish a task on a route (admin), and the board by status,
// refreshed every 5 s so a courier's claim shows within one refresh; cancel (admin) an
// open or claimed task.

import { act, errorSlot, fill, h, localInputToUtc, money, showError, STATUS_LABELS, toLocalInput, when } from "../ui.js";

export const path = "tasks";
export const title = "Tasks";
export const roles = ["admin", "manager"];

const COLUMNS = ["open", "claimed", "in_progress", "completed", "cancelled"];
const PER_COLUMN = 50;
const CANCELLABLE = new Set(["open", "claimed"]);

export function mount(container, ctx) {
  const isAdmin = ctx.session.role === "admin";
  const routeNames = new Map();
  const boardError = errorSlot();
  const status = h("p", { class: "status", role: "status" }, "Loading tasks…");
  const columns = Object.fromEntries(COLUMNS.map((s) => [s, h("ol", { class: "cards", "aria-label": STATUS_LABELS[s] })]));
  const counts = Object.fromEntries(COLUMNS.map((s) => [s, h("span", { class: "count" }, "")]));
  const board = h("div", { class: "board" }, COLUMNS.map((s) =>
    h("section", { class: `column column-${s}`, dataset: { status: s } }, h("h2", {}, STATUS_LABELS[s], " ", counts[s]), columns[s])));
  let stopped = false;
  let timer = null;

  const form = isAdmin ? publishForm(ctx, routeNames, () => refresh()) : null;
  fill(container, h("div", { class: "page tasks-page" },
    h("h1", {}, "Tasks"), form, h("div", { class: "board-head" }, status), boardError, board));

  async function refresh() {
    clearTimeout(timer);
    try {
      const pages = await Promise.all(COLUMNS.map((s) => ctx.api.get("/tasks", { status: s, limit: PER_COLUMN })));
      if (stopped) return;
      pages.forEach((page, index) => drawColumn(COLUMNS[index], page));
      showError(boardError, null);
      status.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every 5 s`;
    } catch (error) {
      if (error.sessionExpired || stopped) return;
      showError(boardError, new Error(`Could not load the board: ${error.message}`));
    }
    if (!stopped) timer = setTimeout(refresh, 5000);
  }

  function drawColumn(statusName, page) {
    const list = columns[statusName];
    counts[statusName].textContent = page.nextCursor ? `${page.items.length}+` : String(page.items.length);
    const existing = new Map([...list.children].map((card) => [card.dataset.taskId, card]));
    const wanted = page.items.map((task) => {
      const card = existing.get(task.taskId);
      if (card && card.dataset.version === String(task.version)) return card;
      return taskCard(task);
    });
    // Replace only what changed, in order: unchanged cards keep their DOM (and focus).
    wanted.forEach((card, index) => { if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null); });
    while (list.children.length > wanted.length) list.lastChild.remove();
  }

  function taskCard(task) {
    const error = errorSlot();
    const route = routeNames.get(task.routeId);
    const card = h("li", { class: `card task-card status-${task.status}`, dataset: { taskId: task.taskId, version: task.version } },
      h("strong", { class: "title" }, task.title),
      h("div", { class: "muted" }, route || ""),
      h("div", {}, h("span", { class: "bonus" }, money(task.bonus)), task.assigneeName ? h("span", { class: "assignee" }, ` · ${task.assigneeName}`) : null),
      h("div", { class: "muted small" }, `${when(task.window.start)} – ${when(task.window.end)}`));
    if (isAdmin && CANCELLABLE.has(task.status)) {
      const button = h("button", { type: "button", class: "danger small" }, "Cancel");
      button.addEventListener("click", async () => {
        if (!window.confirm(`Cancel “${task.title}”? Couriers will no longer see it.`)) return;
        const done = await act(button, error, () => ctx.api.post(`/tasks/${encodeURIComponent(task.taskId)}/cancel`));
        if (done) refresh();
      });
      card.append(h("div", { class: "actions" }, button), error);
    }
    return card;
  }

  loadRouteNames(ctx, routeNames).finally(() => refresh());
  return () => { stopped = true; clearTimeout(timer); };
}

async function loadRouteNames(ctx, routeNames) {
  try {
    for (const route of await ctx.api.all("/routes", { limit: 100 }, 500)) routeNames.set(route.routeId, route.name);
  } catch {
    // Names are a comfort on the board; the publish form shows its own error.
  }
}

function publishForm(ctx, routeNames, onPublished) {
  const start = new Date(Date.now() + 30 * 60000);
  start.setSeconds(0, 0);
  const end = new Date(start.getTime() + 3 * 3600000);
  const route = h("select", { id: "task-route", required: true }, h("option", { value: "" }, "Loading routes…"));
  const name = h("input", { id: "task-title", required: true, maxlength: 200, placeholder: "Pharmacy restock" });
  const amount = h("input", { id: "task-amount", required: true, inputmode: "decimal", placeholder: "12.50", value: "10.00" });
  const currency = h("input", { id: "task-currency", required: true, maxlength: 3, value: "EUR", class: "currency" });
  const from = h("input", { id: "task-start", type: "datetime-local", required: true, value: toLocalInput(start) });
  const to = h("input", { id: "task-end", type: "datetime-local", required: true, value: toLocalInput(end) });
  const button = h("button", { type: "submit", class: "primary" }, "Publish task");
  const error = errorSlot();
  const done = h("p", { class: "ok", role: "status", hidden: true });
  const form = h("form", { class: "card publish" },
    h("h2", {}, "Publish a task"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "task-route" }, "Route"), route),
      h("div", {}, h("label", { for: "task-title" }, "Title"), name)),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "task-amount" }, "Bonus"), amount),
      h("div", { class: "narrow" }, h("label", { for: "task-currency" }, "Currency"), currency),
      h("div", {}, h("label", { for: "task-start" }, "Window start"), from),
      h("div", {}, h("label", { for: "task-end" }, "Window end"), to),
      button),
    error, done);
  ctx.api.all("/routes", { limit: 100 }, 500).then((routes) => {
    fill(route, h("option", { value: "" }, routes.length ? "Choose a route" : "No routes yet: draw one under Routes"),
      routes.map((r) => h("option", { value: r.routeId }, `${r.name} (${(r.lengthM / 1000).toFixed(1)} km)`)));
    for (const r of routes) routeNames.set(r.routeId, r.name);
    const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("route");
    if (wanted) route.value = wanted;
  }).catch((e) => showError(error, new Error(`Routes could not be loaded: ${e.message}`)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    const body = {
      routeId: route.value,
      title: name.value.trim(),
      bonus: { amount: amount.value.trim(), currency: currency.value.trim().toUpperCase() },
      window: { start: localInputToUtc(from.value), end: localInputToUtc(to.value) },
    };
    if (!body.routeId) return showError(error, new Error("Choose the route the task is on."));
    if (!body.title) return showError(error, new Error("Give the task a title couriers will recognise."));
    if (!body.window.start || !body.window.end) return showError(error, new Error("Set when the task may start and when it must end."));
    const task = await act(button, error, () => ctx.api.post("/tasks", body));
    if (task) {
      done.textContent = `Published “${task.title}”: couriers can claim it now.`;
      done.hidden = false;
      name.value = "";
      onPublished(task);
    }
    return undefined;
  });
  return form;
}
