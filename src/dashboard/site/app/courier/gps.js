// The courier's phone as a GPS tracker: a fix every 10 s while a task is in progress, sent
// to POST /tasks/{id}/positions. Fixes wait in localStorage while the phone is offline (or
// the API unreachable) and go in batches of up to 100 when it is back, oldest first, so a
// tunnel or a dead zone loses nothing and a reload of the page neither.
//
//   const gps = new Tracker(api, {intervalMs: 10000, onStatus: (s) => render(s)});
//   gps.track(taskId);   // first fix now, then every interval
//   await gps.finish();  // before completing: the last fixes sent, no more taken
//   gps.stop();

const BATCH = 100;
const KEY = (taskId) => `legwork.gps.${taskId}`;

export class Tracker {
  constructor(api, { intervalMs = 10000, onStatus = () => {}, geolocation = navigator.geolocation } = {}) {
    this.api = api;
    this.intervalMs = intervalMs;
    this.onStatus = onStatus;
    this.geolocation = geolocation;
    this.taskId = null;
    this.timer = null;
    this.sending = false;
    this.lastFix = null;
    this.lastSent = null;
    this.error = null;
    this.online = () => this.flush();
    window.addEventListener("online", this.online);
  }

  /** Start (or keep) tracking `taskId`; a different task stops the previous one. */
  track(taskId) {
    if (this.taskId === taskId) return;
    this.stop();
    this.taskId = taskId;
    this.error = null;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.report();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.taskId = null;
  }

  /** Before the task closes: stop taking fixes, let a batch in flight land, then send what
   * is still queued, so that no position reaches the API after the task has ended (a 409). */
  async finish() {
    const taskId = this.taskId;
    this.stop();
    if (!taskId) return;
    while (this.sending) await new Promise((resolve) => setTimeout(resolve, 50));
    this.taskId = taskId; // flush() sends the tracked task's queue
    try {
      await this.flush();
    } finally {
      this.stop();
    }
  }

  close() {
    this.stop();
    window.removeEventListener("online", this.online);
  }

  queue(taskId = this.taskId) {
    if (!taskId) return [];
    try {
      return JSON.parse(window.localStorage.getItem(KEY(taskId)) || "[]");
    } catch {
      return [];
    }
  }

  save(taskId, points) {
    if (points.length) window.localStorage.setItem(KEY(taskId), JSON.stringify(points));
    else window.localStorage.removeItem(KEY(taskId));
  }

  /** Take a fix, queue it, and send what is queued. */
  sample() {
    const taskId = this.taskId;
    if (!taskId) return;
    if (!this.geolocation) {
      this.error = "This browser cannot share its location, so the map cannot show you.";
      this.report();
      return;
    }
    const asked = Date.now();
    this.geolocation.getCurrentPosition((fix) => {
      if (this.taskId !== taskId) return;
      // maximumAge 0 asks for a fresh fix; some platforms (and emulators) still stamp it
      // with an older time, which the API would refuse as before the task started.
      const taken = fix.timestamp && fix.timestamp >= asked ? fix.timestamp : Date.now();
      const point = {
        lat: round(fix.coords.latitude, 6),
        lng: round(fix.coords.longitude, 6),
        ts: new Date(taken).toISOString(),
      };
      if (Number.isFinite(fix.coords.accuracy) && fix.coords.accuracy >= 0) point.accuracy = round(fix.coords.accuracy, 1);
      if (Number.isFinite(fix.coords.speed) && fix.coords.speed >= 0) point.speed = round(fix.coords.speed, 2);
      const queued = this.queue(taskId);
      if (!queued.length || queued[queued.length - 1].ts !== point.ts) queued.push(point);
      this.save(taskId, queued);
      this.lastFix = Date.now();
      this.error = null;
      this.flush();
    }, (failure) => {
      this.error = failure.code === 1
        ? "Location is blocked: allow this page to use your location so the office sees where you are."
        : `No GPS fix yet (${failure.message || "unavailable"}); trying again in ${Math.round(this.intervalMs / 1000)} s.`;
      this.report();
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: Math.max(1000, this.intervalMs - 1000) });
  }

  /** Send the queue, oldest first, a batch at a time; stops at the first failure. */
  async flush() {
    const taskId = this.taskId;
    if (!taskId || this.sending) return;
    if (navigator.onLine === false) {
      this.report();
      return;
    }
    this.sending = true;
    try {
      for (;;) {
        const queued = this.queue(taskId);
        if (!queued.length) break;
        const batch = queued.slice(0, BATCH);
        try {
          await this.api.post(`/tasks/${encodeURIComponent(taskId)}/positions`, { points: batch });
          this.lastSent = Date.now();
          this.error = null;
          this.save(taskId, this.queue(taskId).slice(batch.length));
        } catch (error) {
          if (error.status === 0) {
            this.error = null; // offline: kept, sent when the connection is back
          } else if (error.status === 409 || error.status === 404 || error.status === 403) {
            this.save(taskId, []); // the task is no longer running for this courier
            this.error = error.message;
            this.stop();
          } else if (error.status === 400) {
            this.save(taskId, this.queue(taskId).slice(batch.length)); // refused whole; the next may pass
            this.error = `Some positions were refused: ${error.message}`;
          } else {
            this.error = error.message;
          }
          break;
        }
      }
    } finally {
      this.sending = false;
      this.report();
    }
  }

  report() {
    this.onStatus({
      taskId: this.taskId,
      waiting: this.queue().length,
      offline: navigator.onLine === false,
      lastFix: this.lastFix,
      lastSent: this.lastSent,
      error: this.error,
    });
  }
}

function round(value, places) {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}
