// Dadras — small progressive enhancements; every page works without this file.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.requestSubmit();
  }
});
