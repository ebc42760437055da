// Takepoint's own few behaviours, kept out of the pages so that the Content-Security-Policy can
// refuse every inline script. Each works from a data attribute; without JavaScript, the pages
// still work (a copy button does nothing, a form submits without asking).
"use strict";

document.addEventListener("click", function (event) {
  var copy = event.target.closest("[data-copy]");
  if (copy) {
    var text = document.getElementById(copy.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(function () { copy.textContent = "Copied"; });
    return;
  }
  var back = event.target.closest("[data-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

document.addEventListener("submit", function (event) {
  var question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
