// The sticky header's height as --header-height, so what sticks below it (the chat's status
// banner) is never hidden under it, on any screen width.
(function () {
  "use strict";
  var bar = document.querySelector(".topbar");
  if (!bar) return;
  function set() { document.documentElement.style.setProperty("--header-height", bar.offsetHeight + "px"); }
  set();
  window.addEventListener("resize", set);
})();
