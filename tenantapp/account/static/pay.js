/* The invoice page's Pay button: POST /v1/invoices/{id}/pay?token= (SPEC §5.11) and go to the
   Checkout page it returns. Without this script the form still posts to the same endpoint. */
(function () {
  "use strict";
  var form = document.querySelector("[data-pay]");
  if (!form) return;
  var out = document.querySelector("[data-pay-error]");
  var button = form.querySelector("button");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    out.textContent = "";
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: "{}",
      credentials: "same-origin"
    })
      .then(function (resp) {
        return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
      })
      .then(function (r) {
        if (r.ok && r.body.checkout_url) {
          window.location.assign(r.body.checkout_url);
          return;
        }
        out.textContent = (r.body && r.body.detail) || form.getAttribute("data-failed");
        button.disabled = false;
      })
      .catch(function () {
        out.textContent = form.getAttribute("data-failed");
        button.disabled = false;
      });
  });
})();
