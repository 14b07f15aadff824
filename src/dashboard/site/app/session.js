// The signed-in user, kept for the browser tab's session (sessionStorage): a reload keeps
// it, closing the tab forgets it. An expired token sends the user back to sign-in.

const KEY = "legwork.session";

export class Session {
  constructor(storage = window.sessionStorage) {
    this.storage = storage;
    this.notice = "";
    const saved = this.storage.getItem(KEY);
    this.value = saved ? JSON.parse(saved) : null;
    if (this.value && this.expired()) this.clear("Your session has expired. Sign in again.");
  }

  get token() { return this.value ? this.value.token : null; }
  get user() { return this.value ? this.value.user : null; }
  get role() { return this.user ? this.user.role : null; }

  /** Keep the API's login answer: `{token, expiresAt, user}`. */
  save(login) {
    this.value = { token: login.token, expiresAt: login.expiresAt, user: login.user };
    this.storage.setItem(KEY, JSON.stringify(this.value));
    this.notice = "";
  }

  expired(now = Date.now()) {
    return !this.value || Date.parse(this.value.expiresAt) <= now;
  }

  /** Milliseconds until the token expires (0 when signed out). */
  remaining(now = Date.now()) {
    return this.value ? Math.max(0, Date.parse(this.value.expiresAt) - now) : 0;
  }

  /** Forget the user; `notice` is shown on the sign-in screen. */
  clear(notice = "") {
    this.value = null;
    this.storage.removeItem(KEY);
    this.notice = notice;
  }
}
