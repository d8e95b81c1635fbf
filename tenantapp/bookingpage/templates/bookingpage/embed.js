/* Cleanplane booking button: paste <script src="…/t/<slug>/embed.js" async></script> where the
   button should appear (or add data-cleanplane-book to an element of your own). It opens the
   booking page in an overlay iframe; Escape or the close button closes it. No cookies, no
   tracking; styles are set through the DOM (no inline <style>), so a strict CSP on your site
   only needs this script's origin in script-src and frame-src. */
(function () {
  "use strict";
  var config = {{ config|tojson }};
  var script = document.currentScript;
  var base = script ? script.src : location.href;
  var url = new URL(config.path, base).href;
  var opener = null;

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }

  function open() {
    opener = document.activeElement;
    var overlay = css(document.createElement("div"), {
      position: "fixed", inset: "0", zIndex: "2147483000", background: "rgba(16,24,40,.6)",
      display: "flex", alignItems: "center", justifyContent: "center", padding: "16px"
    });
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", config.title);
    overlay.setAttribute("data-cleanplane-overlay", "");
    var box = css(document.createElement("div"), {
      position: "relative", width: "100%", maxWidth: "1080px", height: "100%", maxHeight: "920px",
      background: "#fff", borderRadius: "12px", overflow: "hidden", boxShadow: "0 20px 60px rgba(0,0,0,.3)"
    });
    var frame = css(document.createElement("iframe"), { width: "100%", height: "100%", border: "0" });
    frame.src = url;
    frame.title = config.title;
    var close = css(document.createElement("button"), {
      position: "absolute", top: "8px", right: "8px", width: "40px", height: "40px",
      borderRadius: "20px", border: "0", background: "#fff", color: "#101828", fontSize: "24px",
      lineHeight: "40px", cursor: "pointer", boxShadow: "0 1px 4px rgba(0,0,0,.3)"
    });
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", config.close);
    function shut() {
      overlay.remove();
      document.removeEventListener("keydown", onKey, true);
      window.removeEventListener("message", onMessage);
      if (opener && opener.focus) opener.focus();
    }
    function onKey(e) { if (e.key === "Escape") shut(); }
    function onMessage(e) {
      if (e.source === frame.contentWindow && e.data === "cleanplane:close") shut();
    }
    close.addEventListener("click", shut);
    window.addEventListener("message", onMessage);
    overlay.addEventListener("click", function (e) { if (e.target === overlay) shut(); });
    document.addEventListener("keydown", onKey, true);
    // The close button comes first: it takes the focus when the dialog opens, so Escape reaches
    // this page at once (focus handed to a cross-origin frame that is still loading can land
    // nowhere), and Tab goes on into the booking form. Inside the form, the booking page
    // sends "cleanplane:close" on Escape.
    box.appendChild(close);
    box.appendChild(frame);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    close.focus();
  }

  function button() {
    var b = css(document.createElement("button"), {
      font: "600 16px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      padding: "12px 20px", minHeight: "44px", borderRadius: "10px", border: "0",
      background: config.color, color: config.text, cursor: "pointer"
    });
    b.type = "button";
    b.textContent = config.label;
    b.addEventListener("click", open);
    return b;
  }

  function mount() {
    var targets = document.querySelectorAll("[data-cleanplane-book]");
    if (targets.length) {
      targets.forEach(function (el) {
        if (el.tagName === "BUTTON" || el.tagName === "A") el.addEventListener("click", function (e) { e.preventDefault(); open(); });
        else el.appendChild(button());
      });
    } else if (script && script.parentNode) {
      script.parentNode.insertBefore(button(), script.nextSibling);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
