// Dadras — small progressive enhancements; every page works without this file.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.requestSubmit();
  }
});

// A refusal shown in the page's alert area belongs to the request that caused it: clear it on the next one.
document.addEventListener("htmx:beforeRequest", function () {
  var alert = document.getElementById("page-alert");
  if (alert) {
    alert.replaceChildren();
  }
});
