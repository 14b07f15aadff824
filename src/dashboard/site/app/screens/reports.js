// Reports (admin, manager): generate a weekly or monthly report now, list them, download
// their files, and create a share link (an expiring URL anyone holding it may open).

import { act, errorSlot, fill, h, showError, when } from "../ui.js";

export const path = "reports";
export const title = "Reports";
export const roles = ["admin", "manager"];

const POLL_MS = 2000;
const EXPIRIES = [["1 day", 86400], ["7 days", 7 * 86400], ["30 days", 30 * 86400], ["1 hour", 3600]];

export function mount(container, ctx) {
  const body = h("div", { class: "report-list" });
  const listError = errorSlot();
  let stopped = false;
  let poll = null;

  const period = h("select", { id: "report-period" }, h("option", { value: "week" }, "Week (Monday to Sunday)"), h("option", { value: "month" }, "Month"));
  const start = h("input", { id: "report-start", type: "date", required: true, value: defaultStart("week") });
  const button = h("button", { type: "submit", class: "primary" }, "Generate report");
  const error = errorSlot();
  const done = h("p", { class: "ok", role: "status", hidden: true });
  period.addEventListener("change", () => { start.value = defaultStart(period.value); });
  const form = h("form", { class: "card" }, h("h2", {}, "Generate a report"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "report-period" }, "Period"), period),
      h("div", {}, h("label", { for: "report-start" }, "Starting (a Monday, or the 1st)"), start),
      button),
    error, done);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    const report = await act(button, error, () => ctx.api.post("/reports", { period: period.value, start: start.value }));
    if (report) {
      done.textContent = report.status === "pending"
        ? `Report ${report.reportId} is being generated…`
        : `That period already has a report (${report.reportId}, ${report.status}).`;
      done.hidden = false;
      load();
    }
  });

  fill(container, h("div", { class: "page" }, h("h1", {}, "Reports"), form, h("h2", {}, "Reports"), listError, body));

  async function load() {
    clearTimeout(poll);
    try {
      const reports = await ctx.api.all("/reports", { limit: 25 }, 50);
      // The list may leave the files out: read each ready report's (newest ten).
      await Promise.all(reports.filter((r) => r.status === "ready" && !r.files).slice(0, 10).map(async (r) => {
        Object.assign(r, await ctx.api.get(`/reports/${encodeURIComponent(r.reportId)}`));
      }));
      if (stopped) return;
      fill(body, reports.length ? reports.map(reportCard) : h("p", { class: "muted" }, "No reports yet."));
      showError(listError, null);
      // Pending reports become ready within seconds: look again until they are.
      if (reports.some((r) => r.status === "pending")) poll = setTimeout(load, POLL_MS);
    } catch (e) {
      if (!e.sessionExpired) showError(listError, e);
    }
  }

  function reportCard(report) {
    const files = report.files || [];
    return h("article", { class: `card report status-${report.status}`, dataset: { reportId: report.reportId } },
      h("strong", {}, `${report.period === "month" ? "Month" : "Week"} from ${report.start}`), " ",
      h("span", { class: "badge" }, report.status),
      report.reason ? h("p", { class: "error" }, report.reason) : null,
      h("div", { class: "muted small" }, `requested ${when(report.createdAt)}`),
      files.length ? h("ul", { class: "files" }, files.map(fileLine)) : null);
  }

  function fileLine(file) {
    const expiry = h("select", { "aria-label": `Share link expiry for ${file.name}` }, EXPIRIES.map(([label, s]) => h("option", { value: s }, label)));
    const share = h("button", { type: "button", class: "small" }, "Create share link");
    const out = h("span", { class: "share-out" });
    const error = errorSlot();
    share.addEventListener("click", async () => {
      const link = await act(share, error, () => ctx.api.post(`/files/${encodeURIComponent(file.fileId)}/links`, { expiresIn: Number(expiry.value) }));
      if (link) {
        const copy = h("button", { type: "button", class: "link small" }, "Copy");
        copy.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(link.url).then(() => { copy.textContent = "Copied"; }));
        fill(out, h("a", { href: link.url, class: "share-link", target: "_blank", rel: "noopener" }, link.url), " ", copy,
          h("span", { class: "muted small" }, ` expires ${when(link.expiresAt)}`));
      }
    });
    return h("li", { dataset: { fileId: file.fileId } },
      (file.downloadUrl || file.url) ? h("a", { href: file.downloadUrl || file.url, class: "download", download: file.name }, file.name) : h("span", {}, file.name),
      h("span", { class: "muted small" }, ` ${file.format || ""} · ${size(file.size)} `), expiry, share, out, error);
  }

  load();
  return () => { stopped = true; clearTimeout(poll); };
}

function size(bytes) {
  if (!bytes && bytes !== 0) return "";
  return bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The start of the last complete week (a Monday) or month (the 1st), as YYYY-MM-DD. */
export function defaultStart(period, today = new Date()) {
  const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  if (period === "month") {
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() - 1);
  } else {
    const sinceMonday = (d.getUTCDay() + 6) % 7;
    d.setUTCDate(d.getUTCDate() - sinceMonday - 7);
  }
  return d.toISOString().slice(0, 10);
}
