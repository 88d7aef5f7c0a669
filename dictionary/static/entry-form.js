/* The entry form in the page: add, remove and move rows (senses, examples and their
   translations, variants, notes and links of the entry and of each sense, pictures), and
   type the language's special letters. Without this script the same buttons
   (name="action") submit the form and the server changes the rows (curation/form_rows.py);
   with it, rows change here and the field names and button values are renumbered from the
   rows they sit in (senses-1-examples-0-translations-2-text, remove_translation-1-0-2 …),
   so the server reads them in their new order. A row is an element with data-row="KIND";
   its list is the element with data-rows="KINDs"; a blank row is <template
   data-template="KIND">. Letters are inserted at the cursor of the last text field that
   had focus. */
(function () {
  "use strict";
  var ROW = /^(add|remove|up|down)_([a-z]+)((?:-\d+)*)$/;
  var NUMBERED = /-\d+(?=-|$)/g;

  function rowsIn(box, kind) {
    var out = [];
    for (var i = 0; i < box.children.length; i++) {
      if (box.children[i].getAttribute("data-row") === kind) out.push(box.children[i]);
    }
    return out;
  }

  function indexOf(row) {
    return rowsIn(row.parentNode, row.getAttribute("data-row")).indexOf(row);
  }

  // The numbers of the rows that `el` sits in (itself too if it is a row), outermost first.
  function path(el) {
    var out = [], row = el.closest("[data-row]");
    while (row) {
      out.unshift(indexOf(row));
      row = row.parentNode.closest("[data-row]");
    }
    return out;
  }

  function withNumbers(value, numbers) {
    var k = 0;
    return value.replace(NUMBERED, function (m) {
      return k < numbers.length ? "-" + numbers[k++] : m;
    });
  }

  function renumber(form) {
    form.querySelectorAll("[data-row] [name],[data-row] [id],[data-row] [for],[data-row] [aria-describedby]").forEach(function (el) {
      var numbers = path(el);
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && !(attr === "name" && el.tagName === "BUTTON")) {
          el.setAttribute(attr, withNumbers(value, numbers));
        }
      });
    });
    form.querySelectorAll("button[name=action]").forEach(function (b) {
      var m = ROW.exec(b.value);
      if (!m) return;
      var numbers = path(b);
      b.value = m[1] + "_" + m[2] + numbers.map(function (n) { return "-" + n; }).join("");
    });
    form.querySelectorAll("[data-row]").forEach(function (row) {
      var labels = row.querySelectorAll("[data-n]");
      for (var i = 0; i < labels.length; i++) {
        if (labels[i].closest("[data-row]") === row) {
          labels[i].textContent = String(indexOf(row) + 1);
          break;
        }
      }
    });
  }

  function fresh(form, kind) {
    var t = form.querySelector("template[data-template=" + kind + "]");
    if (!t) return null;
    var row = t.content.firstElementChild.cloneNode(true);
    row.querySelectorAll(".error").forEach(function (e) { e.remove(); });
    return row;
  }

  // The field the server focuses too (curation/form_rows.py): one marked data-first, else
  // the row's first field.
  function focusIn(row) {
    var field = row && (row.querySelector("[data-first]") ||
                        row.querySelector("input:not([type=hidden]),textarea,select"));
    if (field) field.focus();
  }

  function addButton(box, kind) {
    var buttons = box.parentNode.querySelectorAll("button[name=action]");
    for (var i = 0; i < buttons.length; i++) {
      var m = ROW.exec(buttons[i].value);
      if (m && m[1] === "add" && m[2] === kind) return buttons[i];
    }
    return null;
  }

  function onRowButton(form, button) {
    var m = ROW.exec(button.value);
    if (!m) return false;
    var verb = m[1], kind = m[2], row, box, list, i;
    if (verb === "add") {
      var scope = button.closest("[data-row]") || form;
      box = scope.querySelector("[data-rows=" + kind + "s]");
      row = box && fresh(form, kind);
      if (!row) return false;
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
      var after = addButton(row.parentNode, kind);
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
