// "Use my location" on the charger list: fills the latitude and longitude fields from the
// browser's geolocation and searches. Without JavaScript the button stays hidden.
(function () {
  "use strict";
  var button = document.querySelector("[data-locate]");
  var form = document.getElementById("location-search");
  if (!button || !form || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(6);
        form.elements.lng.value = position.coords.longitude.toFixed(6);
        form.submit();
      },
      function () {
        button.disabled = false;
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 }
    );
  });
})();
