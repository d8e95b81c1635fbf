// The console's script (no inline script: CSP). htmx does partial updates; this file adds
// "select all" on the bookings list, the CSRF header for htmx requests, and drag-and-drop
// on the schedule board (a drop submits the same move form a keyboard user fills in).
(function () {
  "use strict";
  var body = document.querySelector(".console-body");
  var csrf = body ? body.getAttribute("data-csrf") : "";
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
  });

  document.addEventListener("change", function (e) {
    var all = e.target.closest("[data-select-all]");
    if (!all) return;
    var form = all.form;
    form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
  });

  // Drag a block onto a half-hour slot of a lane: fill the move form and submit it.
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var block = e.target.closest && e.target.closest(".block[data-booking]");
    if (!block) return;
    dragged = block;
    block.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", block.getAttribute("data-booking"));
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".slot.over").forEach(function (s) { s.classList.remove("over"); });
  });
  document.addEventListener("dragover", function (e) {
    var slot = e.target.closest && e.target.closest(".slot[data-starts]");
    if (!slot || !dragged) return;
    e.preventDefault();
    document.querySelectorAll(".slot.over").forEach(function (s) { if (s !== slot) s.classList.remove("over"); });
    slot.classList.add("over");
  });
  document.addEventListener("drop", function (e) {
    var slot = e.target.closest && e.target.closest(".slot[data-starts]");
    if (!slot || !dragged) return;
    e.preventDefault();
    var form = document.getElementById("drop-move");
    if (!form) return;
    form.querySelector("[name=booking_id]").value = dragged.getAttribute("data-booking");
    form.querySelector("[name=starts_at]").value = slot.getAttribute("data-starts");
    form.querySelector("[name=team_id]").value = slot.closest(".lane").getAttribute("data-team");
    form.submit();
  });
})();
