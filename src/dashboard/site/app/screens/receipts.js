// Receipts review (admin, manager): the receipts of recent tasks with their photo, the
// amount OCR read and its confidence; correct the amount with a reason (the OCR result is
// kept beside the correction by the API).

import { act, errorSlot, fill, h, money, percent, showError, when } from "../ui.js";

export const path = "receipts";
export const title = "Receipts";
export const roles = ["admin", "manager"];

const TASKS_PER_STATUS = 20;

export function mount(container, ctx) {
  // Who corrected a receipt, by name: the API records the user's id.
  const names = new Map([[ctx.session.user.userId, ctx.session.user.username]]);
  const list = h("div", { class: "receipt-review" });
  const status = h("p", { class: "status", role: "status" }, "Loading receipts of recent tasks…");
  const loadError = errorSlot();
  const reload = h("button", { type: "button" }, "Reload");
  fill(container, h("div", { class: "page" },
    h("div", { class: "row head" }, h("h1", {}, "Receipts"), reload), status, loadError, list));

  async function load() {
    showError(loadError, null);
    try {
      const [running, completed, users] = await Promise.all([
        ctx.api.get("/tasks", { status: "in_progress", limit: TASKS_PER_STATUS }),
        ctx.api.get("/tasks", { status: "completed", limit: TASKS_PER_STATUS }),
        ctx.api.all("/users", { limit: 100 }, 2000).catch(() => []), // names only: ids still say who
      ]);
      for (const u of users) names.set(u.userId, u.username);
      const tasks = [...running.items, ...completed.items];
      const answers = await Promise.allSettled(tasks.map((t) => ctx.api.get(`/tasks/${encodeURIComponent(t.taskId)}/receipts`)));
      const failed = answers.find((a) => a.status === "rejected");
      if (failed) showError(loadError, new Error(`Some receipts could not be loaded: ${failed.reason.message}`));
      const groups = tasks.map((task, i) => ({ task, receipts: answers[i].status === "fulfilled" ? answers[i].value.items || [] : [] }))
        .filter((g) => g.receipts.length);
      const count = groups.reduce((n, g) => n + g.receipts.length, 0);
      status.textContent = count
        ? `${count} receipt${count === 1 ? "" : "s"} on ${groups.length} of the ${tasks.length} most recent tasks.`
        : `No receipts on the ${tasks.length} most recent tasks yet.`;
      fill(list, groups.map((g) => h("section", { class: "receipt-group" },
        h("h2", {}, g.task.title, h("span", { class: "muted" }, ` · ${g.task.assigneeName || ""} · ${money(g.task.bonus)}`)),
        g.receipts.map((r) => receiptCard(ctx, r, g.task, names)))));
    } catch (error) {
      if (!error.sessionExpired) showError(loadError, error);
    }
  }

  reload.addEventListener("click", () => act(reload, loadError, load));
  load();
  return null;
}

function receiptCard(ctx, receipt, task, names) {
  const card = h("article", { class: `card receipt-card status-${receipt.status}`, dataset: { receiptId: receipt.receiptId } });
  draw(receipt);
  return card;

  function draw(r) {
    const photo = r.image && r.image.url
      ? h("a", { href: r.image.url, target: "_blank", rel: "noopener" }, h("img", { src: r.image.url, alt: `Receipt photo for ${task.title}`, class: "receipt-photo", loading: "lazy" }))
      : h("div", { class: "receipt-photo missing" }, r.status === "pending" ? "waiting for the photo" : "no photo");
    const ocr = r.amount ? `${r.amount} ${r.currency || ""}` : "–";
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", {}, h("span", { class: "badge" }, r.status), r.reason ? ` ${r.reason}` : ""),
      h("dt", {}, "OCR amount"), h("dd", { class: "ocr-amount" }, ocr),
      h("dt", {}, "Confidence"), h("dd", { class: "confidence" }, r.confidence === null || r.confidence === undefined ? "–" : percent(r.confidence)),
      h("dt", {}, "Payable"), h("dd", { class: "payable" }, r.payable ? money(r.payable) : "–"),
      r.correction ? [h("dt", {}, "Corrected"), h("dd", { class: "correction" },
        `${money(r.correction)} by ${names.get(r.correction.by) || r.correction.by || "?"} on ${when(r.correction.at)}: “${r.correction.reason}”`)] : null,
      h("dt", {}, "Uploaded"), h("dd", {}, when(r.createdAt)));
    const lines = r.lines && r.lines.length
      ? h("details", {}, h("summary", {}, `${r.lines.length} recognised lines`), h("pre", { class: "ocr-lines" }, r.lines.join("\n")))
      : null;
    const fix = r.status === "pending"
      ? h("p", { class: "muted small" }, "It can be corrected once its photo has been read.")
      : correctionForm(r);
    fill(card, photo, h("div", { class: "receipt-body" }, facts, lines, fix));
  }

  function correctionForm(r) {
    const base = r.correction || r;
    const amount = h("input", { class: "fix-amount", inputmode: "decimal", value: base.amount || "", "aria-label": "Correct amount", placeholder: "12.50" });
    const currency = h("input", { class: "fix-currency currency", maxlength: 3, value: base.currency || task.bonus.currency, "aria-label": "Currency" });
    const reason = h("input", { class: "fix-reason", maxlength: 500, "aria-label": "Reason", placeholder: "Why (e.g. OCR read the subtotal)" });
    const button = h("button", { type: "submit" }, "Correct amount");
    const error = errorSlot();
    const form = h("form", { class: "correct" }, h("div", { class: "row" }, amount, currency, reason, button), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { amount: amount.value.trim(), currency: currency.value.trim().toUpperCase(), reason: reason.value.trim() };
      if (body.reason.length < 3) return showError(error, new Error("Say why the amount is corrected (3 characters or more)."));
      const updated = await act(button, error, () => ctx.api.patch(`/receipts/${encodeURIComponent(r.receiptId)}`, body));
      if (updated) draw(updated);
      return undefined;
    });
    return form;
  }
}
