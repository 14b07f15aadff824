// Users: the list (admin, manager) and creating a user with a role (admin).

import { act, errorSlot, fill, h, showError, when } from "../ui.js";

export const path = "users";
export const title = "Users";
export const roles = ["admin", "manager"];

export function mount(container, ctx) {
  const isAdmin = ctx.session.role === "admin";
  const body = h("tbody", {});
  const listError = errorSlot();
  const table = h("table", { class: "table users" },
    h("thead", {}, h("tr", {}, h("th", {}, "Username"), h("th", {}, "Role"), h("th", {}, "Created"))), body);

  async function load() {
    try {
      const users = await ctx.api.all("/users", { limit: 100 }, 2000);
      users.sort((a, b) => a.username.localeCompare(b.username));
      fill(body, users.map((u) => h("tr", { dataset: { username: u.username } },
        h("td", {}, u.username), h("td", {}, h("span", { class: `badge role-${u.role}` }, u.role)), h("td", {}, when(u.createdAt)))));
    } catch (error) {
      showError(listError, error);
    }
  }

  let form = null;
  if (isAdmin) {
    const username = h("input", { id: "new-username", required: true, autocomplete: "off", placeholder: "courier6" });
    const password = h("input", { id: "new-password", type: "password", required: true, autocomplete: "new-password", minlength: 10 });
    const role = h("select", { id: "new-role" }, ["courier", "manager", "admin"].map((r) => h("option", { value: r }, r)));
    const button = h("button", { type: "submit", class: "primary" }, "Create user");
    const error = errorSlot();
    const done = h("p", { class: "ok", role: "status", hidden: true });
    form = h("form", { class: "card" }, h("h2", {}, "Create a user"),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "new-username" }, "Username"), username),
        h("div", {}, h("label", { for: "new-password" }, "Password (10 characters or more)"), password),
        h("div", {}, h("label", { for: "new-role" }, "Role"), role),
        button),
      error, done);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      done.hidden = true;
      const user = await act(button, error, () =>
        ctx.api.post("/users", { username: username.value.trim(), password: password.value, role: role.value }));
      if (user) {
        done.textContent = `Created ${user.username} (${user.role}). They can sign in now.`;
        done.hidden = false;
        username.value = "";
        password.value = "";
        load();
      }
    });
  }
  fill(container, h("div", { class: "page" }, h("h1", {}, "Users"), form, listError, table));
  load();
  return null;
}
