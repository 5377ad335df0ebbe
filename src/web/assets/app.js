// simfleet dashboard: the little script every page loads (no inline
// script: the CSP forbids it). It tells the server the browser's time
// zone (a cookie), so times are shown in the viewer's zone.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      var m = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
      var have = m ? decodeURIComponent(m[1]) : "";
      if (have !== zone) {
        document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=strict";
        // Once per tab: show this first page in the right zone too.
        if (!sessionStorage.getItem("simfleet-tz")) {
          sessionStorage.setItem("simfleet-tz", "1");
          location.reload();
        }
      }
    }
  } catch (e) { /* no zone: the gateway's default is used */ }
  // Forms that ask before doing something that cannot be undone carry
  // data-confirm="question".
  document.addEventListener("submit", function (ev) {
    var q = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) { ev.preventDefault(); ev.stopPropagation(); }
  }, true);
})();
