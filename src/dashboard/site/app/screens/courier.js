// The courier's page, made for a 375 px phone: my tasks (start, complete, release, receipt
// photos), the open tasks (claim), and the phone's position sent every 10 s while a task
// is in progress (courier/gps.js).

import { uploadPresigned } from "../api.js";
import { Tracker } from "../courier/gps.js";
import { act, ago, errorSlot, fill, h, money, showError, STATUS_LABELS, when } from "../ui.js";

export const path = "courier";
export const title = "My work";
export const roles = ["courier"];

const IMAGE_TYPES = "image/jpeg,image/png,image/webp";
const REFRESH_MS = 15000;
const RECEIPT_POLL_MS = 2000;
const RECEIPT_POLL_FOR_MS = 90000;

export function mount(container, ctx) {
  const me = ctx.session.user.userId;
  const mine = h("div", { class: "my-tasks" });
  const open = h("div", { class: "open-tasks" });
  const gpsLine = h("p", { class: "gps", role: "status", hidden: true });
  const loadError = errorSlot();
  let stopped = false;
  let timer = null;
  const gps = new Tracker(ctx.api, {
    intervalMs: (ctx.config.gpsIntervalSeconds || 10) * 1000,
    onStatus: (status) => drawGps(status),
  });
  const receiptsByTask = new Map(); // taskId -> { list element, receipts by id, ids followed }, kept across refreshes

  fill(container, h("div", { class: "page courier-page" },
    h("h1", {}, `Hello ${ctx.session.user.username}`), gpsLine, loadError,
    h("h2", {}, "My tasks"), mine,
    h("h2", {}, "Open tasks"), open));

  function drawGps(status) {
    if (!status.taskId && !status.error) {
      gpsLine.hidden = true;
      return;
    }
    gpsLine.hidden = false;
    const parts = [];
    if (status.taskId) parts.push(`Sharing your position every ${ctx.config.gpsIntervalSeconds || 10} s`);
    if (status.lastSent) parts.push(`last sent ${ago((Date.now() - status.lastSent) / 1000)}`);
    if (status.waiting) parts.push(`${status.waiting} position${status.waiting === 1 ? "" : "s"} waiting${status.offline ? " (offline: sent when you are back online)" : ""}`);
    gpsLine.className = `gps${status.error ? " error" : ""}`;
    gpsLine.textContent = status.error ? status.error : parts.join(" · ");
  }

  async function refresh() {
    clearTimeout(timer);
    if (navigator.onLine === false) {
      // Nothing to ask the API while offline; the 'online' event refreshes at once.
      showError(loadError, new Error("You are offline: your tasks refresh when the connection is back. Positions are kept meanwhile."));
      return;
    }
    try {
      const [claimed, running, completed, available] = await Promise.all([
        ctx.api.get("/tasks", { status: "claimed", limit: 25 }),
        ctx.api.get("/tasks", { status: "in_progress", limit: 25 }),
        ctx.api.get("/tasks", { status: "completed", limit: 10 }),
        ctx.api.get("/tasks", { status: "open", limit: 50 }),
      ]);
      if (stopped) return;
      const own = (page) => page.items.filter((t) => t.assigneeId === me);
      const myTasks = [...own(running), ...own(claimed), ...own(completed).filter(recent)];
      // Redrawn only when something changed, so an error beside a button stays readable.
      const signature = (tasks) => tasks.map((t) => `${t.taskId}:${t.version}`).join(",");
      if (signature(myTasks) !== mine.dataset.signature) {
        mine.dataset.signature = signature(myTasks);
        fill(mine, myTasks.length ? myTasks.map(myTaskCard) : h("p", { class: "muted" }, "Nothing yet: claim an open task below."));
      }
      if (signature(available.items) !== open.dataset.signature) {
        open.dataset.signature = signature(available.items);
        fill(open, available.items.length ? available.items.map(openTaskCard) : h("p", { class: "muted" }, "No open tasks right now."));
      }
      const inProgress = own(running)[0];
      if (inProgress) gps.track(inProgress.taskId);
      else gps.stop();
      if (!inProgress) drawGps({ taskId: null, error: gps.error });
      showError(loadError, null);
    } catch (error) {
      if (error.sessionExpired || stopped) return;
      showError(loadError, new Error(`Could not load your tasks: ${error.message}`));
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  function taskFacts(task) {
    return [
      h("strong", { class: "title" }, task.title),
      h("div", { class: "bonus" }, money(task.bonus)),
      h("div", { class: "muted small" }, `${when(task.window.start)} – ${when(task.window.end)}`),
    ];
  }

  function openTaskCard(task) {
    const error = errorSlot();
    const claim = h("button", { type: "button", class: "primary" }, "Claim");
    claim.addEventListener("click", async () => {
      const done = await act(claim, error, () => ctx.api.post(`/tasks/${encodeURIComponent(task.taskId)}/claim`));
      if (done) refresh();
    });
    return h("article", { class: "card task-card", dataset: { taskId: task.taskId } }, taskFacts(task),
      h("div", { class: "actions" }, claim), error);
  }

  function transition(label, action, task, klass = "") {
    const button = h("button", { type: "button", class: klass }, label);
    button.addEventListener("click", async () => {
      const slot = button.closest(".task-card").querySelector(".error");
      if (action === "complete") {
        if (!window.confirm(`Complete “${task.title}”?`)) return;
        await gps.finish(); // the last positions, before the task closes (after it, they are a 409)
      }
      const done = await act(button, slot, () => ctx.api.post(`/tasks/${encodeURIComponent(task.taskId)}/${action}`));
      // A refused completion leaves the task running: the refresh tracks it again.
      if (done || action === "complete") refresh();
    });
    return button;
  }

  function myTaskCard(task) {
    const error = errorSlot();
    const actions = h("div", { class: "actions" });
    if (task.status === "claimed") actions.append(transition("Start", "start", task, "primary"), transition("Release", "release", task));
    if (task.status === "in_progress") actions.append(transition("Complete", "complete", task, "primary"));
    const card = h("article", { class: `card task-card status-${task.status}`, dataset: { taskId: task.taskId } },
      h("span", { class: "badge" }, STATUS_LABELS[task.status]), taskFacts(task), actions, error);
    if (task.status === "in_progress" || task.status === "completed") card.append(receiptBox(task));
    return card;
  }

  function receiptBox(task) {
    let receipts = receiptsByTask.get(task.taskId);
    if (!receipts) {
      receipts = { list: h("ul", { class: "receipt-list" }), byId: new Map(), following: new Set() };
      receiptsByTask.set(task.taskId, receipts);
      loadReceipts(task.taskId, receipts);
    }
    const input = h("input", { type: "file", accept: IMAGE_TYPES, capture: "environment", class: "visually-hidden",
      id: `receipt-${task.taskId}`, "aria-label": "Photograph a receipt" });
    const pick = h("label", { for: `receipt-${task.taskId}`, class: "button" }, "Photograph a receipt");
    const error = errorSlot();
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file) return;
      pick.classList.add("busy");
      pick.textContent = "Uploading…";
      await act(null, error, async () => {
        if (!IMAGE_TYPES.split(",").includes(file.type)) {
          throw new Error(`That file is ${file.type || "of an unknown type"}; take a photo (JPEG, PNG or WebP).`);
        }
        const receipt = await ctx.api.post(`/tasks/${encodeURIComponent(task.taskId)}/receipts`, { contentType: file.type, size: file.size });
        await uploadPresigned(receipt.upload, file);
        showReceipt(receipts, { receiptId: receipt.receiptId, status: "pending", createdAt: new Date().toISOString() });
      });
      pick.classList.remove("busy");
      pick.textContent = "Photograph a receipt";
      input.value = "";
    });
    return h("div", { class: "receipts" }, h("h3", {}, "Receipts"), receipts.list, input, pick, error);
  }

  async function loadReceipts(taskId, receipts) {
    try {
      const page = await ctx.api.get(`/tasks/${encodeURIComponent(taskId)}/receipts`);
      for (const receipt of page.items || []) showReceipt(receipts, receipt);
    } catch (error) {
      if (!error.sessionExpired) fill(receipts.list, h("li", { class: "error" }, `Receipts: ${error.message}`));
    }
  }

  /** One receipt into its task's list, newest first, once each (a list read and an upload
   * may both bring it); a pending one is followed until its amount is read. */
  function showReceipt(receipts, receipt) {
    const known = receipts.byId.get(receipt.receiptId);
    if (known && known.status !== "pending" && receipt.status === "pending") return; // an older answer
    receipts.byId.set(receipt.receiptId, receipt);
    const newest = [...receipts.byId.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    fill(receipts.list, newest.map(receiptItem));
    if (receipt.status === "pending" && !receipts.following.has(receipt.receiptId)) followReceipt(receipts, receipt.receiptId);
  }

  function receiptItem(receipt) {
    if (receipt.error) {
      return h("li", { class: "receipt error", dataset: { receiptId: receipt.receiptId } }, `Receipt status: ${receipt.error}`);
    }
    const amount = receipt.amount ? `${receipt.amount} ${receipt.currency || ""}` : "";
    const text = receipt.status === "processed" ? `read ${amount}` : receipt.status === "failed"
      ? `could not be read${receipt.reason ? `: ${receipt.reason}` : ""}` : "reading the amount…";
    return h("li", { class: `receipt status-${receipt.status}`, dataset: { receiptId: receipt.receiptId } },
      h("span", { class: "badge" }, receipt.status), " ", text);
  }

  async function followReceipt(receipts, receiptId) {
    receipts.following.add(receiptId);
    const until = Date.now() + RECEIPT_POLL_FOR_MS;
    try {
      while (!stopped && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
        const receipt = await ctx.api.get(`/receipts/${encodeURIComponent(receiptId)}`);
        if (receipt.status !== "pending") {
          showReceipt(receipts, receipt);
          return;
        }
      }
    } catch (error) {
      if (!error.sessionExpired) showReceipt(receipts, { ...receipts.byId.get(receiptId), status: "unknown", error: error.message });
    } finally {
      receipts.following.delete(receiptId);
    }
  }

  const online = () => refresh();
  window.addEventListener("online", online);
  refresh();
  return () => { stopped = true; clearTimeout(timer); gps.close(); window.removeEventListener("online", online); };
}

function recent(task) {
  // Receipts may be added up to 7 days after completion.
  return task.completedAt && Date.now() - Date.parse(task.completedAt) < 7 * 24 * 3600 * 1000;
}
