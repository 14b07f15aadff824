// Small DOM helpers shared by the screens: building elements, running an action with its
// error shown beside it, and formatting numbers, money and times for people.

/**
 * An element: h("button", {class: "primary", onclick: fn}, "Save").
 * Attributes starting with "on" become listeners; `null`/`false` attributes are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A slot for an action's error: put it right after the control that starts the action. */
export function errorSlot() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

export function showError(slot, error) {
  if (!slot) return;
  if (!error) {
    slot.hidden = true;
    slot.textContent = "";
    return;
  }
  slot.textContent = error.message || String(error);
  slot.hidden = false;
}

/**
 * Run `work()` for a button: disabled while it runs, its error (if any) shown in `slot`.
 * Resolves to work()'s result, or undefined when it failed.
 */
export async function act(button, slot, work) {
  showError(slot, null);
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    if (error && error.sessionExpired) return undefined; // back at sign-in, which says so
    showError(slot, error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function money(bonus) {
  if (!bonus) return "";
  return `${bonus.amount} ${bonus.currency}`;
}

export function metres(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} km` : `${Math.round(value)} m`;
}

export function percent(fraction) {
  if (fraction === null || fraction === undefined) return "–";
  return `${Math.round(fraction * 100)} %`;
}

/** "just now", "40 s ago", "3 min ago", "2 h ago". */
export function ago(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "never";
  const s = Math.max(0, Math.round(seconds));
  if (s < 5) return "just now";
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** A UTC ISO timestamp shown in the viewer's local time. */
export function when(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A `datetime-local` input's value as the API's UTC form (2026-11-23T08:00:00Z). */
export function localInputToUtc(value) {
  const at = new Date(value);
  if (!value || Number.isNaN(at.getTime())) return null;
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A Date as a `datetime-local` input's value (local time, minutes). */
export function toLocalInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export const STATUS_LABELS = {
  open: "Open",
  claimed: "Claimed",
  in_progress: "In progress",
  completed: "Completed",
  cancelled: "Cancelled",
};
