// The import run page reloads itself while the run is in progress.
(function () {
  if (document.getElementById("import-running")) {
    setTimeout(function () { window.location.reload(); }, 1000);
  }
})();
