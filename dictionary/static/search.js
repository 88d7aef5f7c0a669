/* Search-as-you-type: the site's only script. Without it every search form is a plain GET
   form; with it, typing shows up to 8 matches from /api/v1/search under the box (headword +
   Vietnamese gloss, each a link to its entry). ARIA combobox: arrows move, Enter opens,
   Escape closes. A newer keystroke aborts the request still in flight. */
(function () {
  "use strict";
  if (!window.fetch || !window.AbortController || !window.URLSearchParams) return;
  var DELAY = 200, LIMIT = 8, MAX_CHARS = 200;

  function setup(form) {
    var input = form.querySelector("input[name=q]");
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = form.querySelector("[data-status]");
    var names = {};
    try { names = JSON.parse(form.getAttribute("data-langs") || "{}"); } catch (e) { names = {}; }
    var timer = null, controller = null, active = -1, lastKey = null;

    function lang() {
      var field = form.elements.namedItem("lang");
      return (field && field.value) || "all";
    }
    function options() { return list.querySelectorAll("[role=option]"); }
    function say(text) { if (status) status.textContent = text; }
    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function move(step) {
      var opts = options();
      if (!opts.length) return;
      if (active >= 0) opts[active].setAttribute("aria-selected", "false");
      active = active < 0 ? (step > 0 ? 0 : opts.length - 1) : (active + step + opts.length) % opts.length;
      opts[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", opts[active].id);
      if (opts[active].scrollIntoView) opts[active].scrollIntoView({block: "nearest"});
    }
    function el(tag, text, lang) {
      var node = document.createElement(tag);
      if (text) node.textContent = text;  // never innerHTML: lexicon text is data
      if (lang) node.lang = lang;
      return node;
    }
    function render(data) {
      close();
      var results = data.results || [];
      results.forEach(function (r, i) {
        var li = el("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var a = el("a");
        a.href = form.getAttribute("data-entry").replace("ID", encodeURIComponent(r.id));
        a.tabIndex = -1;
        a.appendChild(el("b", r.headword + (r.homograph ? " " + r.homograph : ""), r.lang));
        var gloss = (r.senses || []).map(function (s) { return s.vi; }).filter(Boolean).join("; ");
        if (gloss) {
          a.appendChild(document.createTextNode(" — "));
          a.appendChild(el("span", gloss, "vi"));
        }
        a.appendChild(document.createTextNode(" "));
        a.appendChild(el("small", names[r.lang] || r.lang));
        li.appendChild(a);
        list.appendChild(li);
      });
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        say(form.getAttribute("data-some").replace("N", String(results.length)));
      } else {
        say(form.getAttribute("data-none"));
      }
    }
    function lookup() {
      var q = input.value.trim().slice(0, MAX_CHARS), key = lang() + "\u0000" + q;
      if (key === lastKey) return;
      lastKey = key;
      if (controller) controller.abort();
      controller = null;
      if (!q) { close(); return; }
      var mine = controller = new AbortController();
      var url = form.getAttribute("data-api") + "?" +
        new URLSearchParams({q: q, lang: lang(), limit: String(LIMIT)}).toString();
      fetch(url, {signal: mine.signal, headers: {Accept: "application/json"}})
        .then(function (resp) { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
        .then(function (data) { if (controller === mine) render(data); })
        .catch(function (err) { if (err.name !== "AbortError" && controller === mine) close(); });
    }
    function later() { clearTimeout(timer); timer = setTimeout(lookup, DELAY); }

    input.addEventListener("input", later);
    form.addEventListener("change", function (e) {
      if (e.target.name === "lang") { lastKey = null; later(); }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "Down") {
        e.preventDefault();
        if (list.hidden) { lastKey = null; lookup(); } else { move(1); }
      } else if (e.key === "ArrowUp" || e.key === "Up") {
        if (!list.hidden) { e.preventDefault(); move(-1); }
      } else if (e.key === "Escape" || e.key === "Esc") {
        if (!list.hidden) { e.preventDefault(); close(); }
        if (controller) controller.abort();
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      }
    });
    // Keep focus in the box while a suggestion is pressed, so the tap lands on the link.
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    input.addEventListener("blur", close);
    window.addEventListener("pageshow", function () { lastKey = null; close(); });
  }

  var forms = document.querySelectorAll("form[data-suggest]");
  for (var i = 0; i < forms.length; i++) setup(forms[i]);
})();
