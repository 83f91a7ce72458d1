// A header checkbox marked data-select-all="NAME" checks or clears every checkbox named NAME in
// its form, and follows them: checked when all are, mixed when some are.
(function () {
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    if (!form) return;
    var boxes = function () {
      return Array.prototype.slice.call(
        form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]'));
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
    });
    form.addEventListener("change", function (e) {
      if (e.target === all) return;
      var list = boxes();
      var on = list.filter(function (b) { return b.checked; }).length;
      all.checked = list.length > 0 && on === list.length;
      all.indeterminate = on > 0 && on < list.length;
    });
  });
})();
