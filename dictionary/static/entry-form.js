/* The entry form in the page: add, remove and move senses, examples and variants, and type
   the language's special letters. Without this script the same buttons (name="action")
   submit the form and the server changes the rows; with it, rows change here and the field
   names are renumbered (senses-1-examples-0-text …) so the server reads them in their new
   order. Letters are inserted at the cursor of the last text field that had focus. */
(function () {
  "use strict";
  var ROW = /^(add|remove|up|down)_(sense|example|variant)((?:-\d+)*)$/;

  function rowsIn(box, kind) {
    var out = [];
    for (var i = 0; i < box.children.length; i++) {
      if (box.children[i].getAttribute("data-row") === kind) out.push(box.children[i]);
    }
    return out;
  }

  function rename(root, pattern, replacement) {
    var nodes = [root].concat(Array.prototype.slice.call(root.querySelectorAll("[name],[id],[for],[aria-describedby]")));
    nodes.forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, replacement));
      });
    });
  }

  function revalue(root, pattern, replacement) {
    root.querySelectorAll("button[name=action]").forEach(function (b) {
      b.value = b.value.replace(pattern, replacement);
    });
  }

  function number(row, n) {
    var label = row.querySelector("[data-n]");
    if (label) label.textContent = String(n + 1);
  }

  function renumber(form) {
    var senses = form.querySelector("[data-rows=senses]");
    if (senses) {
      rowsIn(senses, "sense").forEach(function (sense, i) {
        rename(sense, /^senses-\d+/, "senses-" + i);
        revalue(sense, /^((?:add|remove|up|down)_(?:sense|example))-\d+/, "$1-" + i);
        number(sense, i);
        var box = sense.querySelector("[data-rows=examples]");
        rowsIn(box, "example").forEach(function (example, j) {
          rename(example, /^(senses-\d+-examples-)\d+/, "$1" + j);
          revalue(example, /^((?:remove|up|down)_example-\d+)-\d+$/, "$1-" + j);
          number(example, j);
        });
      });
    }
    var variants = form.querySelector("[data-rows=variants]");
    if (variants) {
      rowsIn(variants, "variant").forEach(function (variant, i) {
        rename(variant, /^variants-\d+/, "variants-" + i);
        revalue(variant, /^((?:remove|up|down)_variant)-\d+/, "$1-" + i);
        number(variant, i);
      });
    }
  }

  function fresh(form, kind) {
    var t = form.querySelector("template[data-template=" + kind + "]");
    var row = t.content.firstElementChild.cloneNode(true);
    row.querySelectorAll(".error").forEach(function (e) { e.remove(); });
    return row;
  }

  function focusIn(row) {
    var field = row && row.querySelector("input:not([type=hidden]),textarea,select");
    if (field) field.focus();
  }

  function onRowButton(form, button) {
    var m = ROW.exec(button.value);
    if (!m) return false;
    var verb = m[1], kind = m[2], row, box, list, i;
    if (verb === "add") {
      box = kind === "example"
        ? button.closest("[data-row=sense]").querySelector("[data-rows=examples]")
        : form.querySelector("[data-rows=" + kind + "s]");
      row = fresh(form, kind);
      box.appendChild(row);
      renumber(form);
      focusIn(row);
      return true;
    }
    row = button.closest("[data-row=" + kind + "]");
    if (!row) return false;
    list = rowsIn(row.parentNode, kind);
    i = list.indexOf(row);
    if (verb === "remove") {
      var next = list[i + 1] || list[i - 1];
      var after = row.parentNode.parentNode.querySelector("button[value^=add_" + kind + "]");
      row.remove();
      renumber(form);
      if (next) focusIn(next); else if (after) after.focus();
      return true;
    }
    if (verb === "up" && i > 0) row.parentNode.insertBefore(row, list[i - 1]);
    if (verb === "down" && i < list.length - 1) row.parentNode.insertBefore(list[i + 1], row);
    renumber(form);
    button.focus();
    return true;
  }

  function setupLetters(form) {
    var pad = form.querySelector("[data-charpad]");
    if (!pad) return;
    var last = form.querySelector("input[name=headword]");
    form.addEventListener("focusin", function (ev) {
      var t = ev.target;
      if ((t.tagName === "INPUT" && (t.type === "text" || t.type === "search")) || t.tagName === "TEXTAREA") last = t;
    });
    pad.querySelectorAll("li").forEach(function (li) {
      var letter = li.textContent;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "letter";
      button.textContent = letter;
      // Keep the cursor in the text field (no focus change on press).
      button.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
      button.addEventListener("click", function () {
        if (!last) return;
        var start = last.selectionStart, end = last.selectionEnd;
        if (typeof start === "number" && last.setRangeText) {
          last.setRangeText(letter, start, end, "end");
        } else {
          last.value += letter;
        }
        last.focus();
        last.dispatchEvent(new Event("input", { bubbles: true }));
      });
      li.textContent = "";
      li.appendChild(button);
    });
  }

  function setup(form) {
    form.addEventListener("click", function (ev) {
      var button = ev.target.closest("button[name=action]");
      if (button && form.contains(button) && onRowButton(form, button)) ev.preventDefault();
    });
    setupLetters(form);
  }

  if (!("content" in document.createElement("template")) || !Element.prototype.closest) return;
  document.querySelectorAll("form[data-entry-form]").forEach(setup);
})();
