// The validation page: a file dropped onto the upload form becomes the form's file (the reader
// then presses Validate, as after picking one), and the report's severity filter shows a finding
// while its severity is ticked.
(function () {
  "use strict";
  var form = document.querySelector("form.upload");
  var input = document.getElementById("file");
  var shown = document.getElementById("dropped");
  if (form && input) {
    ["dragenter", "dragover"].forEach(function (kind) {
      form.addEventListener(kind, function (event) {
        event.preventDefault();
        form.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (kind) {
      form.addEventListener(kind, function () {
        form.classList.remove("dragging");
      });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || files.length === 0) {
        return;
      }
      var one = new DataTransfer();
      one.items.add(files[0]);
      input.files = one.files;
      if (shown) {
        shown.textContent = files[0].name;
      }
      form.querySelector("button[type=submit]").focus();
    });
  }
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('.finding[data-severity="' + box.dataset.filter + '"]').forEach(function (el) {
        el.hidden = !box.checked;
      });
    });
  });
})();
