/* The booking page (SPEC §5.13): one form, four parts, no "Next" buttons.
   1 home → live price from POST /estimate (debounced); 2 date → times from GET /slots;
   3 details; 4 Book → POST /leads, then POST /bookings with the lead_token → Checkout or the
   confirmation page. API errors (422 errors[].field) are shown beside their fields; a slot
   taken meanwhile (409 slot_unavailable) re-offers times from /slots with the lead_token.
   No framework, no build step, no third party. */
(function () {
  "use strict";
  if (window.parent !== window) {
    // Inside the company's overlay (embed.js): Escape closes it even when focus is in here.
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") window.parent.postMessage("cleanplane:close", "*");
    });
  }
  var form = document.getElementById("book");
  if (!form) return;
  var M = JSON.parse(document.getElementById("book-messages").textContent);
  var API = form.dataset.api;
  var lang = form.dataset.lang || "en";
  var $ = function (id) { return document.getElementById(id); };
  var when = $("part-when"), details = $("part-details");
  var price = $("price"), times = $("times"), timesStatus = $("times-status");
  var other = $("other-times"), bookBtn = $("book-button");
  var formError = $("form-error"), formStatus = $("form-status");
  var estimateOk = true, estimateSeq = 0, slotSeq = 0, debounce = null;
  var lastWindowEnd = null, lead = null, leadKey = null, busy = false;

  function fmt(key, params) {
    var s = M[key] || key;
    for (var k in params || {}) s = s.split("{" + k + "}").join(params[k]);
    return s;
  }

  /* ---------- requests */
  function call(method, path, body) {
    var opts = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: resp.ok, status: resp.status, data: data || {}, retryAfter: resp.headers.get("Retry-After") };
      });
    }, function () { return { ok: false, status: 0, data: {} }; });
  }

  /* ---------- errors beside fields */
  var FIELD_IDS = {
    "estimate_request.beds": "beds", "estimate_request.baths": "baths",
    "estimate_request.service_type": "service_type", "estimate_request.frequency": "frequency",
    "beds": "beds", "baths": "baths", "service_type": "service_type", "frequency": "frequency",
    "starts_at": "starts_at", "captcha_token": "captcha_token"
  };
  function errorTarget(field) {
    if (!field) return null;
    if (FIELD_IDS[field]) return FIELD_IDS[field];
    if (/^(estimate_request\.)?add_ons/.test(field)) return "add_ons";
    if ($(field + "-error")) return field;
    return null;
  }
  function clearErrors(scope) {
    (scope || form).querySelectorAll(".error").forEach(function (p) { p.textContent = ""; });
    (scope || form).querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    if (!scope) { formError.textContent = ""; }
  }
  function showErrors(errors) {
    var first = null, unplaced = [];
    (errors || []).forEach(function (e) {
      var id = errorTarget(e.field);
      var box = id && $(id + "-error");
      if (!box) { unplaced.push(e.message); return; }
      box.textContent = box.textContent ? box.textContent + " " + e.message : e.message;
      var input = $(id);
      if (input) { input.setAttribute("aria-invalid", "true"); if (!first) first = input; }
      else if (!first) first = box;
    });
    formError.textContent = unplaced.length ? unplaced.join(" ") : M.error_summary;
    if (first && first.focus) first.focus();
  }
  function problem(res) {
    if (res.status === 422 && res.data.errors) return showErrors(res.data.errors);
    if (res.data.code === "captcha_failed") return showErrors([{ field: "captcha_token", message: res.data.detail }]);
    if (res.status === 400 && res.data.field) return showErrors([{ field: res.data.field, message: res.data.detail }]);
    if (res.status === 429) { formError.textContent = M.busy; return; }
    if (res.status === 402) { formError.textContent = M.closed; return; }
    formError.textContent = res.data.detail || M.try_again || "Something went wrong. Please try again.";
  }

  /* ---------- part 1: home and live price */
  function intValue(id) { var v = $(id).value.trim(); return v === "" ? NaN : Number(v); }
  function estimateRequest() {
    var addOns = {};
    form.querySelectorAll("[data-add-on]").forEach(function (c) { if (c.checked) addOns[c.dataset.addOn] = true; });
    form.querySelectorAll("[data-unit]").forEach(function (n) {
      var v = Number(n.value);
      if (n.value.trim() !== "" && v > 0) addOns[n.dataset.unit] = Math.floor(v);
    });
    return {
      beds: intValue("beds"), baths: intValue("baths"),
      service_type: $("service_type").value, frequency: $("frequency").value,
      heavy_grease: $("heavy_grease").checked, multi_floor: $("multi_floor").checked,
      add_ons: addOns
    };
  }
  function hoursText(h) { return fmt("hours", { hours: (Math.round(h * 10) / 10).toFixed(1) }); }
  function refreshEstimate() {
    var body = estimateRequest(), seq = ++estimateSeq;
    clearErrors(form.querySelector("[aria-labelledby=h-home]"));
    if (isNaN(body.beds) || isNaN(body.baths)) { setEstimate(false); return; }
    price.setAttribute("aria-busy", "true");
    call("POST", "/estimate", body).then(function (res) {
      if (seq !== estimateSeq) return;  // a newer change is on its way
      price.removeAttribute("aria-busy");
      if (!res.ok) {
        setEstimate(false);
        if (res.status === 422) {
          showErrors(res.data.errors || []);
          formError.textContent = "";  // the message sits beside its field
        } else problem(res);
        return;
      }
      var e = res.data;
      price.textContent = e.total_before_tax;
      $("mini-price").textContent = e.total_before_tax;
      $("currency").textContent = e.currency;
      $("team").textContent = e.team_size === 1 ? M.cleaners_one : fmt("cleaners_many", { n: e.team_size });
      $("hours").textContent = hoursText(e.time_on_site_hours);
      var changed = !estimateOk || form.dataset.tos !== String(e.time_on_site_hours) || form.dataset.service !== body.service_type;
      form.dataset.tos = String(e.time_on_site_hours);
      form.dataset.service = body.service_type;
      setEstimate(true);
      if (changed && $("date").value) loadSlots(false);  // the duration changed: times may too
    });
  }
  function setEstimate(ok) {
    estimateOk = ok;
    when.disabled = !ok;
    if (!ok) { price.textContent = "—"; $("mini-price").textContent = "—"; }
  }
  function scheduleEstimate() {
    clearTimeout(debounce);
    debounce = setTimeout(refreshEstimate, 300);
  }
  form.querySelector("[aria-labelledby=h-home]").addEventListener("input", scheduleEstimate);
  form.querySelector("[aria-labelledby=h-home]").addEventListener("change", scheduleEstimate);

  /* ---------- part 2: date and times */
  function localTime(iso, plusMinutes) {
    // starts_at_local is the tenant's wall time with its offset: show that wall time as it is.
    var m = /T(\d{2}):(\d{2})/.exec(iso);
    var d = new Date(Date.UTC(2000, 0, 1, Number(m[1]), Number(m[2]) + (plusMinutes || 0)));
    return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(d);
  }
  function slotQuery(windowStart) {
    var q = "?date=" + encodeURIComponent($("date").value);
    if (lead) q += "&lead_id=" + lead.lead_id + "&lead_token=" + encodeURIComponent(lead.lead_token);
    else q += "&service_type=" + encodeURIComponent(form.dataset.service || $("service_type").value) +
      "&time_on_site_hours=" + encodeURIComponent(form.dataset.tos || "3");
    if (windowStart != null) q += "&window_start_hour=" + windowStart + "&window_end_hour=24";
    return q;
  }
  function loadSlots(more, keepMessage) {
    var date = $("date").value, seq = ++slotSeq;
    $("date-error").textContent = "";
    if (!keepMessage) $("starts_at-error").textContent = "";
    if (!date || date < $("date").min) {  // typing a year passes through 0002, 0020...
      renderTimes([]);
      timesStatus.textContent = M.pick_date_first;
      return Promise.resolve();
    }
    var windowStart = more && lastWindowEnd != null && lastWindowEnd < 24 ? lastWindowEnd : null;
    timesStatus.textContent = M.loading || "…";
    return call("GET", "/slots" + slotQuery(windowStart)).then(function (res) {
      if (seq !== slotSeq) return;
      if (!res.ok) {
        renderTimes([]);
        timesStatus.textContent = "";
        if (res.status === 422) {
          showErrors((res.data.errors || []).map(function (e) { return { field: e.field === "date" ? "date" : "starts_at", message: e.message }; }));
        } else problem(res);
        return;
      }
      var list = res.data.suggestions || [];
      renderTimes(list, res.data.duration_minutes);
      timesStatus.textContent = list.length ? (res.data.clarifier || "") : (res.data.clarifier || M.no_times);
      if (list.length) {
        var last = list[list.length - 1].starts_at_local;
        lastWindowEnd = Number(/T(\d{2})/.exec(last)[1]) + 1;
      }
      other.hidden = !list.length || lastWindowEnd >= 24;
    });
  }
  function renderTimes(list, minutes) {
    var kept = chosenTime();  // times reloaded (a new duration, say): a time still offered stays chosen
    times.textContent = "";
    list.forEach(function (s, i) {
      var label = document.createElement("label");
      label.className = "chip";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "starts_at";
      input.value = s.starts_at;
      input.id = "slot-" + i;
      input.checked = s.starts_at === kept;
      var span = document.createElement("span");
      span.textContent = localTime(s.starts_at_local) + " – " + localTime(s.starts_at_local, minutes);
      label.appendChild(input);
      label.appendChild(span);
      times.appendChild(label);
    });
    syncDetails();
  }
  function chosenTime() {
    var c = times.querySelector("input:checked");
    return c ? c.value : null;
  }
  function syncDetails() { details.disabled = !chosenTime(); }
  var dateTimer = null;
  $("date").addEventListener("change", function () {
    lastWindowEnd = null;
    clearTimeout(dateTimer);
    dateTimer = setTimeout(function () { loadSlots(false); }, 250);
  });
  times.addEventListener("change", function () { $("starts_at-error").textContent = ""; syncDetails(); });
  other.addEventListener("click", function () { loadSlots(true); });

  /* ---------- part 4: Book */
  function leadBody() {
    var body = {
      name: $("name").value.trim(), phone: $("phone").value.trim(),
      estimate_request: estimateRequest(),
      sms_opt_in: $("sms_opt_in").checked,
      referrer: document.referrer ? document.referrer.slice(0, 2000) : undefined
    };
    ["email", "address", "postal_code", "notes"].forEach(function (k) {
      var v = $(k).value.trim();
      if (v) body[k] = v;
    });
    var date = $("date").value;
    if (date) body.preferred_dates = [date];
    var captcha = form.querySelector("[name=cf-turnstile-response]");
    if (captcha && captcha.value) body.captcha_token = captcha.value;
    var params = new URLSearchParams(location.search);
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {
      var v = params.get(k);
      if (v) body[k] = v.slice(0, 200);
    });
    var ref = params.get("ref");
    if (ref && /^[A-Za-z0-9]{8}$/.test(ref)) body.referral_code = ref;
    return body;
  }
  function setBusy(on) {
    busy = on;
    bookBtn.disabled = on;
    bookBtn.textContent = on ? M.booking : M.book;
  }
  function finish(booking) {
    var url = booking.deposit && booking.deposit.checkout_url;
    if (url && booking.deposit.status === "pending") {
      formStatus.textContent = M.deposit_redirect;
      if (form.dataset.embedded) {
        // Checkout cannot run inside a frame: leave the company's site for it.
        try { window.top.location.href = url; return; } catch (e) { /* fall through */ }
        var a = document.createElement("a");
        a.href = url; a.target = "_top"; a.className = "button block"; a.textContent = M.pay_deposit;
        formStatus.appendChild(a);
        return;
      }
      location.assign(url);
      return;
    }
    var token = new URL(booking.manage_url, location.href).searchParams.get("token");
    location.assign(form.dataset.done + "?booking=" + booking.id + "&token=" + encodeURIComponent(token));
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    formStatus.textContent = "";
    var startsAt = chosenTime();
    if (!estimateOk) { refreshEstimate(); return; }
    if (!startsAt) {
      showErrors([{ field: "starts_at", message: $("date").value ? M.choose_time : M.pick_date_first }]);
      ($("date").value ? (times.querySelector("input") || $("date")) : $("date")).focus();
      return;
    }
    var body = leadBody();
    var key = JSON.stringify(body);
    setBusy(true);
    var haveLead = lead && leadKey === key ? Promise.resolve({ ok: true, data: lead }) : call("POST", "/leads", body);
    haveLead.then(function (res) {
      if (!res.ok) { setBusy(false); problem(res); return null; }
      lead = res.data; leadKey = key;
      return call("POST", "/bookings", {
        lead_id: lead.lead_id, lead_token: lead.lead_token, starts_at: startsAt,
        photo_consent: $("photo_consent").checked
      });
    }).then(function (res) {
      if (!res) return;
      if (res.ok) { finish(res.data); return; }
      setBusy(false);
      if (res.status === 409 && res.data.code === "slot_unavailable") {
        formError.textContent = "";
        $("starts_at-error").textContent = M.slot_taken;
        loadSlots(false, true).then(function () {
          var first = times.querySelector("input");
          (first || $("date")).focus();
        });
        return;
      }
      if (res.status === 409) { lead = null; formError.textContent = res.data.detail || M.lead_booked; return; }
      if (res.status === 422 && res.data.errors) {
        showErrors(res.data.errors.map(function (e) { return { field: e.field === "starts_at" ? "starts_at" : e.field, message: e.message }; }));
        return;
      }
      problem(res);
    });
  });

  setEstimate(true);
  syncDetails();
  form.dataset.service = $("service_type").value;
  form.dataset.tos = "";
  refreshEstimate();
})();
