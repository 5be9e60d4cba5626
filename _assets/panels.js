// Slider panels of the HTML book (bplib.course.widgets.slider_panel, made with BPLIB_PANEL_FRAMES=1).
//
// Each panel is a <div class="bp-panel"> holding plain HTML controls over the grid
// positions of its controls, the figure for the starting values, and a JSON script
// with every precomputed frame.  This script shows the frame for the chosen values:
// at once when the panel has no button, when the button is pressed when it has one.
// Controls of a sweep group move one group at a time: changing a control puts the
// controls of every other group back to their starting positions.
(function () {
  "use strict";

  function setUp(panel) {
    var data = JSON.parse(panel.querySelector("script.bp-panel-data").textContent);
    var figure = panel.querySelector("img.bp-panel-figure");
    var button = panel.querySelector("button.bp-panel-button");
    var inputs = Array.prototype.slice.call(panel.querySelectorAll(".bp-panel-input"));
    var groupOf = data.controls.map(function () { return -1; });
    data.groups.forEach(function (group, g) {
      group.forEach(function (i) { groupOf[i] = g; });
    });
    var position = data.controls.map(function (c) { return c.default; });
    var shown = position.join(",");

    function setPosition(i, k) {
      var input = inputs[i];
      var label = data.controls[i].labels[k];
      position[i] = k;
      input.value = String(k);
      if (input.tagName === "INPUT") {
        input.setAttribute("aria-valuetext", label);
        input.parentNode.querySelector("output").textContent = label;
      }
    }

    function show() {
      var key = position.join(",");
      var frame = data.frames[key];
      if (frame === undefined) {
        console.error("slider panel: no precomputed frame for grid position " + key);
        return;
      }
      figure.src = "data:image/png;base64," + frame;
      figure.alt = "figure for " + data.controls.map(function (c, i) {
        return c.label + " = " + c.labels[position[i]];
      }).join(", ");
      shown = key;
      panel.classList.remove("bp-panel-stale");
    }

    inputs.forEach(function (input, i) {
      input.addEventListener("input", function () {
        setPosition(i, parseInt(input.value, 10));
        if (groupOf[i] >= 0) {
          data.controls.forEach(function (c, j) {
            if (groupOf[j] >= 0 && groupOf[j] !== groupOf[i] && position[j] !== c.default) {
              setPosition(j, c.default);
            }
          });
        }
        if (button) {
          panel.classList.toggle("bp-panel-stale", position.join(",") !== shown);
        } else {
          show();
        }
      });
    });
    if (button) {
      button.addEventListener("click", show);
    }
    panel.classList.add("bp-panel-ready");
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".bp-panel:not(.bp-panel-ready)"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
