// The sign-up page: the workspace address suggested from the company name and checked as you
// type; the time zone guessed from the browser. A suggestion fills the address only while the
// person has not typed one themselves; after that it is offered as a button.
(function () {
  "use strict";
  var form = document.getElementById("signup-form");
  if (!form) return;
  var name = document.getElementById("company_name");
  var slug = document.getElementById("slug");
  var status = document.getElementById("slug-status");
  var useBtn = document.getElementById("use-suggestion");
  var zone = document.getElementById("time_zone");
  var checkUrl = form.dataset.checkUrl;
  var typed = slug.value !== ""; // an address the server echoed back counts as chosen
  var timer = null;
  var seq = 0;

  // The time zone: the browser's, unless the person picked one (or the server echoed a choice).
  try {
    var guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (guess && !zone.dataset.chosen && zone.querySelector('option[value="' + guess + '"]')) {
      zone.value = guess;
    }
  } catch (e) { /* no Intl: keep the server's default */ }
  zone.addEventListener("change", function () { zone.dataset.chosen = "1"; });

  function show(text, ok) {
    status.textContent = text || "";
    status.className = "small slug-status" + (text ? (ok ? " ok" : " bad") : "");
  }

  function offer(suggestion) {
    if (suggestion && suggestion !== slug.value) {
      useBtn.textContent = form.dataset.useLabel.replace("{slug}", suggestion);
      useBtn.dataset.slug = suggestion;
      useBtn.hidden = false;
    } else {
      useBtn.hidden = true;
    }
  }

  function check(params, fromName) {
    var mine = ++seq;
    fetch(checkUrl + "?" + new URLSearchParams(params).toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (!body || mine !== seq) return;
      if (fromName) {
        if (typed) return; // never overwrite what the person typed
        slug.value = body.suggestion || "";
        useBtn.hidden = true;
        show(body.suggestion ? form.dataset.freeLabel : "", true);
        return;
      }
      if (body.available) {
        show(form.dataset.freeLabel, true);
        useBtn.hidden = true;
      } else {
        show(body.message, false);
        offer(body.suggestion);
      }
    }).catch(function () { /* the server checks again on submit */ });
  }

  function later(fn) {
    clearTimeout(timer);
    timer = setTimeout(fn, 250);
  }

  name.addEventListener("input", function () {
    if (typed) return;
    later(function () {
      if (name.value.trim()) check({ name: name.value }, true);
      else { slug.value = ""; show("", true); }
    });
  });

  slug.addEventListener("input", function () {
    typed = slug.value !== "";
    slug.removeAttribute("aria-invalid");
    var err = document.getElementById("slug-error");
    if (err) err.textContent = "";
    later(function () {
      if (slug.value) check({ slug: slug.value }, false);
      else { show("", true); useBtn.hidden = true; }
    });
  });

  useBtn.addEventListener("click", function () {
    slug.value = useBtn.dataset.slug;
    typed = true;
    useBtn.hidden = true;
    check({ slug: slug.value }, false);
    slug.focus();
  });

  form.addEventListener("submit", function () {
    var button = document.getElementById("create");
    button.disabled = true;
    button.textContent = form.dataset.busyLabel;
  });
})();
