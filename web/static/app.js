// Dadras — small progressive enhancements; every page works without this file.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    // A value names the button to submit with (a switch that carries a bigger form along).
    var button = el.getAttribute("data-autosubmit") && document.getElementById(el.getAttribute("data-autosubmit"));
    el.form.requestSubmit(button || undefined);
  }
});

// A refusal shown in the page's alert area belongs to the request that caused it: clear it on the next one.
document.addEventListener("htmx:beforeRequest", function () {
  var alert = document.getElementById("page-alert");
  if (alert) {
    alert.replaceChildren();
  }
});

document.documentElement.classList.add("js");

// The portal's copy and print buttons.
document.addEventListener("click", function (event) {
  var copy = event.target.closest && event.target.closest("[data-copy]");
  if (copy) {
    var source = document.querySelector(copy.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.getAttribute("data-code") || source.textContent.trim());
      copy.classList.add("btn-success");
    }
  }
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});

// The complaint form's proof of work (ALTCHA's protocol): find the number whose SHA-256 with the salt is the
// challenge, then hide the sum that browsers without JavaScript answer instead. Started on every page load,
// boosted navigations included.
function startProofOfWork(root) {
  var form = root.querySelector && root.querySelector("form[data-pow]");
  if (!form || form.dataset.powStarted || !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
    return;
  }
  form.dataset.powStarted = "1";
  var challenge = JSON.parse(form.getAttribute("data-pow"));
  var encoder = new TextEncoder();
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  async function solve() {
    for (var n = 0; n <= challenge.maxnumber; n++) {
      var digest = await window.crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
      if (hex(digest) === challenge.challenge) {
        return n;
      }
    }
    return null;
  }
  solve().then(function (number) {
    if (number === null) {
      return;
    }
    var payload = {
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number: number,
      salt: challenge.salt,
      signature: challenge.signature
    };
    form.querySelector("input[name=altcha]").value = btoa(JSON.stringify(payload));
    var question = form.querySelector("#question");
    if (question) {
      question.classList.add("pow-done");
    }
  });
}

// A field the tenant shows only for some topics follows the chosen topic.
function followTopic(root) {
  var topic = root.querySelector && root.querySelector("form[data-pow] #category_id, .form-preview #category_id");
  if (!topic || topic.dataset.followed) {
    return;
  }
  topic.dataset.followed = "1";
  var scope = topic.form || topic.closest(".form-preview");
  function follow() {
    scope.querySelectorAll(".custom-field[data-categories]").forEach(function (box) {
      var ids = box.getAttribute("data-categories").split(" ");
      box.hidden = topic.value !== "" && ids.indexOf(topic.value) === -1;
    });
  }
  topic.addEventListener("change", follow);
  follow();
}

// A form with files that would be larger than the site accepts in one request is not sent: the server could
// only refuse it whole, and what was typed would be lost.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var limit = form.getAttribute && Number(form.getAttribute("data-max-bytes"));
  if (!limit) {
    return;
  }
  var total = 0;
  form.querySelectorAll("input[type=file]").forEach(function (input) {
    Array.prototype.forEach.call(input.files || [], function (file) {
      total += file.size;
    });
  });
  if (total <= limit) {
    return;
  }
  event.preventDefault();
  var alert = document.getElementById("page-alert");
  if (alert) {
    var box = document.createElement("div");
    box.className = "alert alert-danger";
    box.setAttribute("role", "alert");
    box.id = "files-too-large";
    box.textContent = form.getAttribute("data-too-large");
    alert.replaceChildren(box);
    alert.scrollIntoView();
  }
});

// Switching language reloads the page: what was typed in the page's forms is kept, in this tab only, for the
// page that comes back, and put back into the fields still empty there. (A form that the switch sends along,
// the complaint form, comes back filled in by the server, with or without JavaScript.)
var TYPED_KEY = "dadras:typed:";
var TYPED_FIELDS = "main form textarea[id], main form input[id]:not([type=hidden]):not([type=file]):not([type=password])";

document.addEventListener("submit", function (event) {
  if (!event.target.matches("form.lang-switcher") || !window.sessionStorage) {
    return;
  }
  var typed = {};
  document.querySelectorAll(TYPED_FIELDS).forEach(function (el) {
    if (el.type === "radio" || el.type === "checkbox") {
      if (el.checked) {
        typed[el.id] = true;
      }
    } else if (el.value) {
      typed[el.id] = el.value;
    }
  });
  try {
    sessionStorage.setItem(TYPED_KEY + location.pathname, JSON.stringify(typed));
  } catch (e) {
    // A full or disabled storage: the switch goes ahead without it.
  }
});

function restoreTyped() {
  var key = TYPED_KEY + location.pathname;
  var text = window.sessionStorage && sessionStorage.getItem(key);
  if (!text) {
    return;
  }
  sessionStorage.removeItem(key);
  var typed = JSON.parse(text);
  Object.keys(typed).forEach(function (id) {
    var el = document.getElementById(id);
    if (!el || !el.form || !el.matches(TYPED_FIELDS)) {
      return;
    }
    if (el.type === "radio" || el.type === "checkbox") {
      el.checked = true;
    } else if (!el.value) {
      el.value = typed[id];
    }
  });
}

function enhance(root) {
  startProofOfWork(root);
  followTopic(root);
}
document.addEventListener("DOMContentLoaded", function () {
  restoreTyped();
  enhance(document);
});
document.addEventListener("htmx:load", function (event) {
  enhance(event.detail.elt.ownerDocument || document);
});
