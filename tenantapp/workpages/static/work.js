// The worker pages work without this file; it only sends a photo as soon as it is taken and
// keeps the timer's clock ticking while it runs.
(function () {
  "use strict";

  document.querySelectorAll("input[type=file][data-autosend]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (!input.files || !input.files.length) return;
      var form = input.form;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
        button.textContent = button.dataset.busy || "…";
      }
      form.submit();
    });
  });

  var clock = document.getElementById("elapsed");
  if (clock && clock.dataset.running === "1") {
    var base = parseInt(clock.dataset.seconds, 10) || 0;
    var started = Date.now();
    var show = function () {
      var total = base + Math.floor((Date.now() - started) / 1000);
      var h = Math.floor(total / 3600);
      var m = Math.floor((total % 3600) / 60);
      clock.textContent = h + ":" + (m < 10 ? "0" : "") + m;
    };
    setInterval(show, 15000);
  }
})();
