// Inline and offline: no request leaves the page. Errors are recorded in
// the DOM so that a headless check can read them with --dump-dom.
(function () {
  var root = document.documentElement;
  window.addEventListener("error", function (e) {
    root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") + e.message + ";");
  });
  var box = document.getElementById("chain-filter");
  if (box) {
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase();
      document.querySelectorAll(".chain").forEach(function (c) {
        c.style.display = c.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  }
  var open = document.getElementById("expand-all");
  if (open) {
    open.addEventListener("click", function () {
      document.querySelectorAll(".chain details").forEach(function (d) { d.open = !d.open; });
    });
  }
  // Hovering an alert marker highlights its row in the alerts table.
  document.querySelectorAll("[data-alert]").forEach(function (m) {
    m.addEventListener("mouseenter", function () {
      var row = document.getElementById("alert-" + m.getAttribute("data-alert"));
      if (row) { row.style.background = "#f1e8f8"; }
    });
    m.addEventListener("mouseleave", function () {
      var row = document.getElementById("alert-" + m.getAttribute("data-alert"));
      if (row) { row.style.background = ""; }
    });
  });
  root.setAttribute("data-script", "ok");
})();
