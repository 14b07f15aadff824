// The web app's entry: configuration, session, the shell (header and navigation) and a
// hash router (#/live, #/tasks, …) that mounts one screen at a time. Hash routes need no
// server rewrite, so the same files work under `make dev` and behind CloudFront.

import { Api } from "./api.js";
import { loadConfig } from "./config.js";
import { Session } from "./session.js";
import { fill, h } from "./ui.js";
import * as signin from "./screens/signin.js";
import * as live from "./screens/live.js";
import * as tasks from "./screens/tasks.js";
import * as routes from "./screens/routes.js";
import * as receipts from "./screens/receipts.js";
import * as reports from "./screens/reports.js";
import * as users from "./screens/users.js";
import * as courier from "./screens/courier.js";

// Each screen: {path, title, roles, mount(container, ctx) -> cleanup}.
const SCREENS = [live, tasks, routes, receipts, reports, users, courier];
const BACK_OFFICE = new Set(["admin", "manager"]);

const app = document.getElementById("app");
let cleanup = null;
let expiryTimer = null;

function homeFor(role) {
  return role === "courier" ? "#/courier" : "#/live";
}

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function expire(ctx, notice) {
  ctx.session.clear(notice);
  navigate("#/signin");
}

function scheduleExpiry(ctx) {
  clearTimeout(expiryTimer);
  const left = ctx.session.remaining();
  if (!ctx.session.token) return;
  // setTimeout's limit is about 24.8 days; tokens live hours.
  expiryTimer = setTimeout(() => expire(ctx, "Your session has expired. Sign in again."), Math.min(left, 2 ** 31 - 1));
}

function shell(ctx, screen) {
  const role = ctx.session.role;
  const links = SCREENS.filter((s) => s.roles.includes(role)).map((s) =>
    h("a", { href: `#/${s.path}`, class: s === screen ? "active" : null, "aria-current": s === screen ? "page" : null }, s.title));
  const main = h("main", { id: "screen", class: `screen screen-${screen ? screen.path : "none"}` });
  fill(app,
    h("header", { class: "topbar" },
      h("a", { class: "brand", href: homeFor(role) }, "Legwork"),
      h("nav", { class: "nav" }, links),
      h("span", { class: "who" }, h("span", { class: "user" }, ctx.session.user.username), " ",
        h("span", { class: `role role-${role}` }, role)),
      h("button", { class: "link signout", type: "button", onclick: () => expire(ctx, "You signed out.") }, "Sign out")),
    main);
  return main;
}

function render(ctx = window.legwork) {
  if (cleanup) {
    try { cleanup(); } catch (error) { console.warn("screen cleanup failed", error); }
    cleanup = null;
  }
  const path = (location.hash.replace(/^#\/?/, "").split("?")[0] || "").trim();
  if (!ctx.session.token || ctx.session.expired()) {
    if (ctx.session.token) ctx.session.clear("Your session has expired. Sign in again.");
    if (path !== "signin") {
      history.replaceState(null, "", "#/signin");
    }
    cleanup = signin.mount(app, ctx);
    return;
  }
  if (path === "" || path === "signin") {
    history.replaceState(null, "", homeFor(ctx.session.role));
    render(ctx);
    return;
  }
  const screen = SCREENS.find((s) => s.path === path);
  if (!screen) {
    const main = shell(ctx, null);
    fill(main, h("section", { class: "notice" }, h("h1", {}, "Not found"),
      h("p", {}, `There is no page “${path}”. `, h("a", { href: homeFor(ctx.session.role) }, "Go to your start page"), ".")));
    return;
  }
  if (!screen.roles.includes(ctx.session.role)) {
    const main = shell(ctx, null);
    const what = BACK_OFFICE.has(screen.roles[0]) && ctx.session.role === "courier"
      ? "The back office is for admins and managers; couriers use the courier page."
      : `“${screen.title}” is for ${screen.roles.join(" and ")} accounts; you are signed in as a ${ctx.session.role}.`;
    fill(main, h("section", { class: "notice forbidden", role: "alert" }, h("h1", {}, "Not for your role"),
      h("p", {}, what, " "), h("p", {}, h("a", { href: homeFor(ctx.session.role) }, "Go to your start page"))));
    return;
  }
  document.title = `${screen.title} · Legwork`;
  const main = shell(ctx, screen);
  cleanup = screen.mount(main, ctx) || null;
}

async function start() {
  const config = await loadConfig();
  const session = new Session();
  const ctx = { config, session, navigate };
  ctx.api = new Api(config.apiUrl, () => session.token, () => expire(ctx, "Your session has expired. Sign in again."));
  ctx.signedIn = (login) => {
    session.save(login);
    scheduleExpiry(ctx);
    navigate(homeFor(session.role));
  };
  window.legwork = ctx; // for the console, the tests and the benchmark
  scheduleExpiry(ctx);
  window.addEventListener("hashchange", () => render(ctx));
  render(ctx);
}

start();
