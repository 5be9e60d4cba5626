// Loaded by myst-nb on pages with widgets, between RequireJS and the
// ipywidgets HTML manager (see nb_ipywidgets_js in _config.yml).
(function () {
  "use strict";

  // 1. The manager's bundle finds its fonts (Font Awesome, for icons) relative
  //    to the RequireJS module path "@jupyter-widgets/html-manager/dist".  Map
  //    that path to the copy inside the book (data-manager-path, relative to
  //    this script), or the fonts are looked for next to the page.  Without
  //    the attribute (CDN fallback) RequireJS is left alone.
  var me = document.currentScript;
  var managerPath = me && me.getAttribute("data-manager-path");
  if (managerPath && window.require && window.require.config) {
    var here = me.src.split("?")[0];
    window.require.config({
      paths: {
        "@jupyter-widgets/html-manager/dist": here.slice(0, here.lastIndexOf("/") + 1) + managerPath,
      },
    });
  }

  // 2. ipywidgets typesets LaTeX in labels through the MathJax 2 call
  //    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]).  The book uses
  //    MathJax 3, so answer that call with MathJax 3's typesetPromise.
  //    MathJax is loaded with "defer", so install this once the page is parsed
  //    (widgets are rendered later, on the "load" event).
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) {
      return;
    }
    mj.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (command) {
          if (!Array.isArray(command) || command[0] !== "Typeset" || !command[2]) {
            return;
          }
          var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
          ready
            .then(function () { return mj.typesetPromise([command[2]]); })
            .catch(function (err) { console.warn("widget label typesetting failed:", err); });
        });
      },
    };
  });
})();
