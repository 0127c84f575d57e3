// The charger map: Leaflet with the configured tiles; markers for the map's bounds from the
// markers endpoint (reloaded after each move), each linking to the Location's page.
(function () {
  "use strict";
  var element = document.getElementById("location-map");
  var configElement = document.getElementById("location-map-config");
  if (!element || !configElement || !window.L) return;
  var config = JSON.parse(configElement.textContent);
  var status = document.getElementById("location-map-status");
  var map = L.map(element, { keyboard: true }).setView(config.centre, config.zoom);
  L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.attribution }).addTo(map);
  var layer = L.layerGroup().addTo(map);
  var controller = null;

  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }

  function load() {
    var bounds = map.getBounds();
    var params = new URLSearchParams({
      min_lat: clamp(bounds.getSouth(), -90, 90).toFixed(6),
      min_lng: clamp(bounds.getWest(), -180, 180).toFixed(6),
      max_lat: clamp(bounds.getNorth(), -90, 90).toFixed(6),
      max_lng: clamp(bounds.getEast(), -180, 180).toFixed(6)
    });
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(config.markers_url + "?" + params.toString(), {
      headers: { Accept: "application/json" }, signal: controller.signal
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        layer.clearLayers();
        data.locations.forEach(function (item) {
          var label = config.labels.available
            .replace("%(available)s", item.available).replace("%(total)s", item.total);
          var marker = L.marker([item.lat, item.lng], { title: item.name, alt: item.name });
          marker.bindPopup(
            "<strong>" + text(item.name) + "</strong><br>" + text(item.address) + "<br>" +
            text(label) + '<br><a href="' + item.url + '">' + text(config.labels.details) + "</a>"
          );
          layer.addLayer(marker);
        });
        status.textContent = data.truncated ? config.labels.too_many : "";
      })
      .catch(function () {});
  }

  map.on("moveend", load);
  load();
})();
