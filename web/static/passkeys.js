// Dadras — passkeys: the browser's half of adding one and of logging in with one, through the vendored
// @simplewebauthn/browser. The server sends the options and checks the answer; this only carries them.
(function () {
  if (window.dadrasPasskeys) {
    return; // a boosted page loads this again: one set of listeners is enough
  }
  window.dadrasPasskeys = true;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          if (!response.ok) {
            throw new Error(data.message || data.error || response.statusText);
          }
          return data;
        },
        function () {
          throw new Error(response.statusText);
        },
      );
    });
  }

  function show(box, message) {
    var alert = box.querySelector("[data-passkey-error]");
    if (alert) {
      alert.textContent = message;
      alert.classList.toggle("d-none", !message);
    }
  }

  function run(box, button, start, extra) {
    var lib = window.SimpleWebAuthnBrowser;
    show(box, "");
    if (!lib || !lib.browserSupportsWebAuthn()) {
      show(box, box.getAttribute("data-unsupported") || "");
      return;
    }
    button.disabled = true;
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        return lib[start]({ optionsJSON: options });
      })
      .then(function (answer) {
        return post(box.getAttribute("data-verify-url"), Object.assign({ credential: answer }, extra ? extra() : {}));
      })
      .then(function (done) {
        window.location.assign(done.redirect);
      })
      .catch(function (error) {
        button.disabled = false;
        // The person closed the browser's dialog, or it timed out: say so in the page's language.
        var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        show(box, cancelled ? box.getAttribute("data-cancelled") || "" : error.message);
      });
  }

  document.addEventListener("click", function (event) {
    var login = event.target.closest && event.target.closest("[data-passkey-login]");
    if (login) {
      run(login.closest("[data-options-url]"), login, "startAuthentication");
    }
    var confirm = event.target.closest && event.target.closest("[data-passkey-confirm]");
    if (confirm) {
      var form = confirm.closest("form");
      run(confirm.closest("[data-options-url]"), confirm, "startAuthentication", function () {
        return { password: form.elements.password.value, next: form.elements.next ? form.elements.next.value : "" };
      });
    }
    var add = event.target.closest && event.target.closest("[data-passkey-add]");
    if (add) {
      var box = add.closest("[data-options-url]");
      run(box, add, "startRegistration", function () {
        var name = box.querySelector("input[name=passkey_name]");
        return { name: name ? name.value : "" };
      });
    }
  });
})();
