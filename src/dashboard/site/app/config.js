// The deployment's settings, from /config.json next to index.html: `make dev` serves the
// committed local one; `make deploy` writes the stage's (its API URL and tile provider).

const DEFAULTS = { apiUrl: "", tiles: { provider: "osm" }, stage: "local", gpsIntervalSeconds: 10, liveRefreshSeconds: 5 };

export async function loadConfig() {
  let loaded = {};
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (response.ok) loaded = await response.json();
  } catch {
    loaded = {};
  }
  return { ...DEFAULTS, ...loaded, tiles: { ...DEFAULTS.tiles, ...(loaded.tiles || {}) } };
}
