// Sign-in: POST /auth/login; the token is kept for the tab's session.

import { act, errorSlot, fill, h } from "../ui.js";

export function mount(container, ctx) {
  document.title = "Sign in · Legwork";
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const error = errorSlot();
  const form = h("form", { class: "signin card", novalidate: true },
    h("h1", {}, "Legwork"),
    h("p", { class: "muted" }, "Sign in to the live map, the back office or your courier page."),
    ctx.session.notice ? h("p", { class: "notice-inline", role: "status" }, ctx.session.notice) : null,
    h("label", { for: "username" }, "Username"), username,
    h("label", { for: "password" }, "Password"), password,
    button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      error.hidden = false;
      error.textContent = "Enter your username and password.";
      return;
    }
    const login = await act(button, error, () =>
      ctx.api.post("/auth/login", { username: username.value.trim(), password: password.value }));
    if (login) ctx.signedIn(login);
  });
  fill(container, h("div", { class: "signin-page" }, form));
  username.focus();
  return null;
}
