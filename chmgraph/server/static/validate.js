// The validation report's severity filter: a finding is shown while its severity is ticked.
(function () {
  "use strict";
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('.finding[data-severity="' + box.dataset.filter + '"]').forEach(function (el) {
        el.hidden = !box.checked;
      });
    });
  });
})();
