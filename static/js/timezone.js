// Tell the server the browser's time zone (cookie "tz"), so pages show times in local time.
// config.middleware.UserTimeZoneMiddleware checks the name; anything unknown is ignored.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }
  var wanted = "tz=" + zone;
  if (document.cookie.split("; ").indexOf(wanted) !== -1) {
    return;
  }
  var secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = wanted + "; path=/; max-age=31536000; SameSite=Lax" + secure;
})();
