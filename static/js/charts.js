/* Draw every Plotly figure on the page. Figures are server-built JSON in
   <script type="application/json" id="..."> (Django's json_script), referenced by
   <div class="chart" data-figure="id">. No inline script, so CSP script-src 'self' holds. */
(function () {
  "use strict";
  // Follow the system's dark mode: the server builds light figures; recolour the frame here.
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  function themed(layout) {
    if (!dark) { return layout; }
    layout.paper_bgcolor = "#1f2937";
    layout.plot_bgcolor = "#1f2937";
    layout.font = Object.assign({}, layout.font || {}, { color: "#e5e7eb" });
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key) && layout[key]) {
        layout[key].gridcolor = "#374151";
        layout[key].zerolinecolor = "#4b5563";
      }
    });
    return layout;
  }
  function draw() {
    if (typeof Plotly === "undefined") {
      console.error("plotly-cartesian.min.js did not load");
      return;
    }
    var charts = document.querySelectorAll("div.chart[data-figure]");
    for (var i = 0; i < charts.length; i++) {
      var div = charts[i];
      var source = document.getElementById(div.getAttribute("data-figure"));
      if (!source) { continue; }
      var figure = JSON.parse(source.textContent);
      Plotly.newPlot(div, figure.data, themed(figure.layout), {
        displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]
      });
      div.on("plotly_clickannotation", followLink);
      div.setAttribute("data-drawn", "true");
    }
  }
  /* An annotation whose text is a same-site link (a bet's start marker) goes there when clicked:
     the annotation's box sits over its text, so the SVG link itself would not get the click. */
  function followLink(event) {
    var match = /href="(\/[^"]*)"/.exec((event.annotation && event.annotation.text) || "");
    if (match && match[1].charAt(1) !== "/") { window.location.assign(match[1]); }
  }
  window.addEventListener("beforeprint", function () {
    var charts = document.querySelectorAll("div.chart[data-drawn]");
    for (var i = 0; i < charts.length; i++) { Plotly.Plots.resize(charts[i]); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
