/* The learner's exercise pages: on-screen letter buttons, the word bank, nothing else.
   Every page works without this script (the buttons stay hidden and the answer is typed). */
(function () {
  "use strict";
  function insert(input, text) {
    var start = input.selectionStart == null ? input.value.length : input.selectionStart;
    var end = input.selectionEnd == null ? input.value.length : input.selectionEnd;
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    input.selectionStart = input.selectionEnd = start + text.length;
    input.focus();
  }
  document.querySelectorAll(".letters").forEach(function (box) {
    var input = document.getElementById(box.dataset.target);
    if (!input) return;
    box.hidden = false;
    box.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-letter]");
      if (button) insert(input, button.dataset.letter);
    });
  });
  document.querySelectorAll(".bank").forEach(function (bank) {
    var input = document.getElementById(bank.dataset.target);
    if (!input) return;
    bank.hidden = false;
    var hint = document.querySelector(".nojs-hint");
    if (hint) hint.hidden = true;
    bank.addEventListener("click", function (event) {
      var chip = event.target.closest("button[data-word]");
      if (!chip) return;
      input.value = (input.value.trim() + " " + chip.dataset.word).trim();
      chip.disabled = true;
    });
    input.addEventListener("input", function () {
      if (input.value.trim() === "") {
        bank.querySelectorAll("button[data-word]").forEach(function (c) { c.disabled = false; });
      }
    });
  });
})();
