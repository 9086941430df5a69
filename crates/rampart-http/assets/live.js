// Live updates: when the server announces a change to what this page shows,
// fetch the page again and swap the regions marked data-live-region. A region
// holding the focused element waits, so nobody loses what they are typing.
// Selections: a "select all" box ticks every row of its table, and the
// count of ticked rows is shown; without the script each row is ticked alone.
(function () {
  "use strict";
  function count(form) {
    var shown = form.querySelector("[data-selected-count]");
    if (!shown) { return; }
    var n = form.querySelectorAll("input[data-pick]:checked").length;
    shown.textContent = n === 0 ? "none selected" : n === 1 ? "1 selected" : n + " selected";
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t.form) { return; }
    if (t.hasAttribute("data-pick-all")) {
      t.form.querySelectorAll("input[data-pick]").forEach(function (box) { box.checked = t.checked; });
    }
    if (t.hasAttribute("data-pick-all") || t.hasAttribute("data-pick")) { count(t.form); }
  });
  document.querySelectorAll("input[data-pick-all]").forEach(function (box) {
    box.hidden = false;
    if (box.form) { count(box.form); }
  });
})();

(function () {
  "use strict";
  var topic = document.body.getAttribute("data-live-topic");
  if (!topic || !window.EventSource || !window.fetch) { return; }
  var indicators = document.querySelectorAll(".live");
  function online(on) {
    indicators.forEach(function (el) {
      el.classList.toggle("is-offline", !on);
      el.textContent = on ? "Live" : "Reconnecting…";
    });
  }
  var pending = false;
  var busy = false;
  function refresh() {
    if (busy) { pending = true; return; }
    busy = true;
    // A page answering a form names the page it shows (data-live-url).
    var from = document.querySelector("[data-live-url]");
    var url = from ? from.getAttribute("data-live-url") : window.location.href;
    fetch(url, { credentials: "same-origin", headers: { "X-Rampart-Live": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var next = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var fresh = next.querySelector('[data-live-region="' + name + '"]');
          if (!fresh || fresh.innerHTML === region.innerHTML) { return; }
          // A region holding a ticked selection waits too, so no choice is lost.
          if ((region.contains(document.activeElement) && document.activeElement !== document.body) ||
              region.querySelector("input[type=checkbox]:checked")) {
            pending = true;
            return;
          }
          region.innerHTML = fresh.innerHTML;
          region.querySelectorAll("input[data-pick-all]").forEach(function (box) {
            box.hidden = false;
            box.dispatchEvent(new Event("change", { bubbles: true }));
          });
          region.classList.remove("flash");
          void region.offsetWidth;
          region.classList.add("flash");
        });
        document.body.setAttribute("data-live-version", String(Date.now()));
      })
      .catch(function () { })
      .then(function () {
        busy = false;
        if (pending) { pending = false; setTimeout(refresh, 500); }
      });
  }
  document.addEventListener("focusout", function () { if (pending) { pending = false; setTimeout(refresh, 200); } });
  var source = null;
  // A page left behind closes its stream: a browser holds few connections
  // to one site, and a page kept for the back button must not hold one.
  function connect() {
    source = new EventSource("/live?topic=" + encodeURIComponent(topic));
    source.addEventListener("open", function () { online(true); });
    source.addEventListener("error", function () { online(false); });
    source.addEventListener("change", refresh);
    source.addEventListener("inbox", function () {
      ring();
      // The notifications page itself follows too.
      if (document.querySelector('[data-live-region="notifications"]')) { refresh(); }
    });
  }
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && !source) { connect(); refresh(); ring(); }
  });
  // The bell: a notification of this person's was written or read.
  var bell = document.querySelector("[data-bell]");
  function ring() {
    if (!bell) { return; }
    fetch("/notifications/unread", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || typeof body.unread !== "number") { return; }
        var count = bell.querySelector("[data-bell-count]");
        count.textContent = body.unread > 99 ? "99+" : String(body.unread);
        count.hidden = body.unread === 0;
        bell.classList.toggle("has-unread", body.unread > 0);
        bell.setAttribute("aria-label", "Notifications: " + body.unread + " unread");
        bell.setAttribute("data-bell-version", String(Date.now()));
      })
      .catch(function () { });
  }
  connect();
})();

// Class preview: in a form marked data-preview-form, the class and priority
// the severity factors give follow the selects as they change, from the table
// the server embeds (data-preview-table). Without this script the form's
// "Preview class" button asks the server, whose answer is the truth.
(function () {
  "use strict";
  document.querySelectorAll("form[data-preview-form]").forEach(function (form) {
    var out = form.querySelector("[data-preview-table]");
    if (!out) { return; }
    var table;
    try { table = JSON.parse(out.getAttribute("data-preview-table")); } catch (e) { return; }
    var text = out.querySelector("[data-preview-text]");
    function value(kind) {
      var el = form.querySelector('[data-factor="' + kind + '"]');
      return el ? el.value : "";
    }
    function update() {
      var imp = value("importance"), loss = value("loss"), impact = value("impact"), effort = value("effort");
      if (!imp || !loss || !impact || !effort) {
        text.textContent = "choose the three factors and the effort";
        return;
      }
      var computed = table.classes[imp + "/" + loss + "/" + impact];
      var chosen = value("override");
      var cls = chosen || computed;
      var t = "Class " + cls + " (" + table.labels[cls];
      if (chosen) { t += "; override: computed " + computed; }
      t += ") · priority P" + table.priority[cls + "/" + effort];
      if (cls === "III" || cls === "IV") { t += " · significant"; }
      text.textContent = t;
    }
    form.querySelectorAll("[data-factor]").forEach(function (el) {
      el.addEventListener("change", update);
    });
  });
})();
