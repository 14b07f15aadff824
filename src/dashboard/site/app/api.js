// The Legwork REST API as the web app uses it: JSON in, JSON out, errors as ApiError.
//
//   const api = new Api(config.apiUrl, () => session.token, onExpired);
//   const task = await api.post(`/tasks/${id}/claim`);
//
// Every error has the API's own message ({"error": {"code", "message"}}), or one a person
// can act on when the API could not be reached; screens show it next to the action.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /**
   * @param {string} base  the API's URL ("" for the page's own origin, as `make dev` serves it)
   * @param {() => string|null} token  the bearer token, read on every request
   * @param {(error: ApiError) => void} onExpired  called when a signed-in request gets a 401
   */
  constructor(base, token, onExpired) {
    this.base = base.replace(/\/+$/, "");
    this.token = token;
    this.onExpired = onExpired;
    this.stats = { requests: 0, bytes: 0 };
  }

  get(path, query) { return this.request("GET", path, { query }); }
  post(path, body) { return this.request("POST", path, { body }); }
  patch(path, body) { return this.request("PATCH", path, { body }); }
  delete(path) { return this.request("DELETE", path); }

  /** Every page of a paged list (`{items, nextCursor}`), up to `max` items. */
  async all(path, query = {}, max = 1000) {
    const items = [];
    let cursor = null;
    do {
      const page = await this.get(path, { ...query, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < max);
    return items;
  }

  url(path, query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.base}${path}${search ? `?${search}` : ""}`;
  }

  async request(method, path, { query, body } = {}) {
    const headers = { Accept: "application/json" };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.url(path, query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new ApiError(0, "NETWORK", "Cannot reach the Legwork API. Check your connection and try again.");
    }
    const text = await response.text();
    this.stats.requests += 1;
    this.stats.bytes += text.length;
    let payload = null;
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = null;
      }
    }
    if (response.ok) return payload;
    const error = toError(response.status, payload);
    if (response.status === 401 && token && this.onExpired) {
      error.sessionExpired = true;
      this.onExpired(error);
    }
    throw error;
  }
}

function toError(status, payload) {
  const detail = (payload && payload.error) || payload;
  if (detail && detail.code === "MISSING_AUTHENTICATION_TOKEN") {
    // API Gateway's answer for a path or method it does not have.
    return new ApiError(status, "NO_SUCH_ENDPOINT", "This API does not offer that yet (the web app is newer than the API).");
  }
  if (detail && detail.message) return new ApiError(status, detail.code || "ERROR", detail.message);
  return new ApiError(status, "HTTP_" + status, `The API answered ${status} without a message.`);
}

/** Upload a file with a presigned POST (`{url, fields}`); resolves when storage accepted it. */
export async function uploadPresigned(upload, file) {
  const form = new FormData();
  for (const [key, value] of Object.entries(upload.fields || {})) form.append(key, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(upload.url, { method: "POST", body: form });
  } catch {
    throw new ApiError(0, "NETWORK", "The photo could not be uploaded: storage is unreachable. Try again.");
  }
  if (!response.ok) {
    const text = await response.text();
    const reason = (text.match(/<Message>([^<]*)<\/Message>/) || [])[1];
    throw new ApiError(response.status, "UPLOAD", `Storage refused the upload (${response.status})${reason ? `: ${reason}` : ""}.`);
  }
}
