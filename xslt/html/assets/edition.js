/* teipress HTML edition: small progressive enhancements (no framework, no network).
 * - Escape hides the footnote popover or entity card that is open (WCAG 1.4.13).
 * - Popovers and cards stay on screen: flipped to the left when they would overflow.
 * Everything works without this script; it is loaded with CSP script-src 'self'. */
(function () {
  "use strict";
  var HOSTS = ".note-ref-wrap, .entity-wrap";

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var open = document.querySelectorAll(HOSTS);
    for (var i = 0; i < open.length; i++) {
      if (open[i].matches(":hover") || open[i].contains(document.activeElement)) {
        open[i].classList.add("dismissed");
      }
    }
  });

  function reset(ev) {
    var host = ev.target.closest ? ev.target.closest(HOSTS) : null;
    if (host) { host.classList.remove("dismissed"); place(host); }
  }
  document.addEventListener("focusin", reset);
  document.addEventListener("mouseover", reset);

  function place(host) {
    var pop = host.querySelector(".note-pop, .card");
    if (!pop) { return; }
    host.classList.remove("flip");
    var rect = host.getBoundingClientRect();
    if (rect.left + 320 > (window.innerWidth || document.documentElement.clientWidth)) {
      host.classList.add("flip");
    }
  }
})();
