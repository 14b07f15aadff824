// A Leaflet map with the deployment's tile setting, and the datum conversion it implies.
//
//   const view = createMap(element, ctx.config);
//   L.marker(view.toMap(lat, lng)).addTo(view.map);   // lat/lng are WGS-84, as phones report
//   view.fromMap(event.latlng)                          // a click back in WGS-84
//
// Providers: OpenStreetMap (default), AutoNavi for mainland China (GCJ-02: positions are
// shifted before drawing, clicks shifted back), or none: a plain background on which
// routes, tracks and markers are still drawn (offline, tests). The user may override the
// deployment's choice on the map; it is kept in this browser (localStorage).

import { gcj02ToWgs84, wgs84ToGcj02 } from "./gcj02.js";

export const PROVIDERS = {
  osm: {
    label: "OpenStreetMap",
    url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    maxZoom: 19,
    datum: "wgs84",
  },
  amap: {
    label: "AutoNavi (mainland China)",
    url: "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    subdomains: "1234",
    attribution: "&copy; AutoNavi",
    maxZoom: 18,
    datum: "gcj02",
  },
  none: { label: "No tiles (plain background)", url: null, maxZoom: 19, datum: "wgs84" },
};

const OVERRIDE_KEY = "legwork.tiles";

/** The tile settings in force: this browser's choice, else the deployment's. */
export function tileSettings(config) {
  const chosen = window.localStorage.getItem(OVERRIDE_KEY);
  const configured = (config && config.tiles) || { provider: "osm" };
  const id = chosen && PROVIDERS[chosen] ? chosen : configured.provider;
  if (id === "custom" && configured.url) {
    return { id, label: configured.label || "Custom tiles", maxZoom: 19, datum: "wgs84", ...configured };
  }
  return { id: PROVIDERS[id] ? id : "osm", ...(PROVIDERS[id] || PROVIDERS.osm) };
}

export function chooseTiles(id) {
  if (id) window.localStorage.setItem(OVERRIDE_KEY, id);
  else window.localStorage.removeItem(OVERRIDE_KEY);
}

/**
 * A map in `element`. Returns {map, tiles, toMap(lat, lng), fromMap(latlng), fit(points)}.
 * `onTilesChanged` is called after the user picks another provider (the screen redraws).
 */
export function createMap(element, config, { onTilesChanged } = {}) {
  const L = window.L;
  const tiles = tileSettings(config);
  const map = L.map(element, { zoomControl: true, preferCanvas: false, worldCopyJump: true });
  element.classList.toggle("map-plain", !tiles.url);
  element.dataset.tiles = tiles.id;
  if (tiles.url) {
    L.tileLayer(tiles.url, {
      attribution: tiles.attribution || "",
      maxZoom: tiles.maxZoom || 19,
      subdomains: tiles.subdomains || "abc",
      crossOrigin: true,
    }).addTo(map);
  } else {
    map.attributionControl.addAttribution("no map tiles");
  }
  map.setView([20, 0], 2);

  const gcj = tiles.datum === "gcj02";
  const toMap = (lat, lng) => {
    if (!gcj) return [lat, lng];
    const shifted = wgs84ToGcj02(lat, lng);
    return [shifted.lat, shifted.lng];
  };
  const fromMap = (latlng) => (gcj ? gcj02ToWgs84(latlng.lat, latlng.lng) : { lat: latlng.lat, lng: latlng.lng });

  const Picker = L.Control.extend({
    onAdd() {
      const select = L.DomUtil.create("select", "tile-picker");
      select.setAttribute("aria-label", "Map tiles");
      for (const [id, provider] of Object.entries(PROVIDERS)) {
        const option = L.DomUtil.create("option", "", select);
        option.value = id;
        option.textContent = provider.label;
        option.selected = id === tiles.id;
      }
      L.DomEvent.disableClickPropagation(select);
      select.addEventListener("change", () => {
        chooseTiles(select.value);
        if (onTilesChanged) onTilesChanged(select.value);
      });
      return select;
    },
  });
  new Picker({ position: "topright" }).addTo(map);

  const fit = (points, options = {}) => {
    if (!points.length) return false;
    // No animation: a screen left mid-animation would leave Leaflet a timer on a removed map.
    map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 16, animate: false, ...options });
    return true;
  };
  return { map, tiles, toMap, fromMap, fit };
}

/** Great-circle metres along `points` ([{lat, lng}]), as the API computes a route's length. */
export function pathLength(points) {
  const R = 6371008.8;
  let total = 0;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1];
    const b = points[i];
    const dLat = ((b.lat - a.lat) * Math.PI) / 180;
    const dLng = ((b.lng - a.lng) * Math.PI) / 180;
    const s = Math.sin(dLat / 2) ** 2
      + Math.cos((a.lat * Math.PI) / 180) * Math.cos((b.lat * Math.PI) / 180) * Math.sin(dLng / 2) ** 2;
    total += 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
  }
  return total;
}
