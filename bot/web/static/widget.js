/*
 * Boussole chat widget. One line on a partner page:
 *   <script src="https://GATEWAY/widget.js" data-partner="PARTNER_ID" defer></script>
 * Options: data-profile="referent"; data-mode="totem" (+ data-mount, data-idle-seconds) for the
 * kiosk page. The widget's own words say « tu » to a young person and « vous » to a referent or a
 * parent: the profile is the page's at first, then the conversation's, which the gateway sends
 * with each answer (a parent known only from what they wrote) and gets back with each request. Vanilla JS, no build step, no dependency. Every text from the user or the bot is
 * inserted with textContent or text nodes, never as HTML: links come pre-cut by the gateway.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.dataset.partner) {
    return;
  }
  var BASE = new URL(script.src, location.href).origin;
  var PARTNER = script.dataset.partner;
  var TOTEM = script.dataset.mode === "totem";
  var PROFILE = script.dataset.profile || null;
  var IDLE_SECONDS = Math.max(2, parseInt(script.dataset.idleSeconds || "120", 10) || 120);
  var STORE_KEY = "boussole:" + PARTNER;
  var HISTORY_MAX = 60;
  var DAY_MS = 24 * 3600 * 1000;
  var SAFE_HREF = /^(https?:\/\/|mailto:|tel:\+?\d)/;
  var PROFILES = ["youth", "parent", "referent"];
  // The widget's own words: [to a young person, to a parent or a referent].
  var WORDS = {
    launcher: ["Une question\u00a0? Boussole t'aide", "Une question\u00a0? Boussole vous aide"],
    me: ["Toi : ", "Vous : "],
    rateLabel: ["Ton avis sur cette réponse", "Votre avis sur cette réponse"],
    inputLabel: ["Ton message", "Votre message"],
    placeholder: ["Écris ta question…", "Écrivez votre question…"],
    masked: [
      "Pour ta sécurité, tes données personnelles (numéro, e-mail, adresse, nom…) ont été masquées avant l'envoi.",
      "Pour votre sécurité, vos données personnelles (numéro, e-mail, adresse, nom…) ont été masquées avant l'envoi.",
    ],
    notSent: [
      "Ton message n'a pas pu être envoyé. Réessaie dans un instant.",
      "Votre message n'a pas pu être envoyé. Réessayez dans un instant.",
    ],
    offline: [
      "Impossible de joindre Boussole. Vérifie ta connexion puis réessaie.",
      "Impossible de joindre Boussole. Vérifiez votre connexion puis réessayez.",
    ],
    rateFailed: ["Ton avis n'a pas pu être envoyé.", "Votre avis n'a pas pu être envoyé."],
    takeaway: ["Emporte ce contact sur ton téléphone", "Emportez ce contact sur votre téléphone"],
    scan: ["Scanne le code avec l'appareil photo.", "Scannez le code avec l'appareil photo."],
    stillThere: [
      "Tu es toujours là\u00a0? Sans action, la conversation sera effacée dans ",
      "Vous êtes toujours là\u00a0? Sans action, la conversation sera effacée dans ",
    ],
  };

  // A kiosk forgets everything between visitors, so it never touches localStorage.
  var storage = null;
  if (!TOTEM) {
    try {
      storage = window.localStorage;
      storage.getItem(STORE_KEY);
    } catch (e) {
      storage = null;
    }
  }

  // generation: bumped by every new conversation, so that an answer to an earlier one (still on
  // its way when the visitor reset, or when the totem forgot them) is dropped, not shown to the
  // next person.
  var state = {
    sessionId: null,
    history: [],
    config: null,
    busy: false,
    open: false,
    generation: 0,
    profile: null, // the page's, then the conversation's (see the top of this file)
  };
  var ui = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  // 32 hexadecimal characters: a conversation's id, and each message's (turn_id), which lets
  // Rasa answer a message sent twice only once.
  function newSessionId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function words(key) {
    return WORDS[key][state.profile === "parent" || state.profile === "referent" ? 1 : 0];
  }

  // The conversation's profile, as the gateway said it: the words already on screen follow.
  function setProfile(profile) {
    if (PROFILES.indexOf(profile) < 0 || profile === state.profile) {
      return;
    }
    state.profile = profile;
    if (ui.input) {
      ui.inputLabel.textContent = words("inputLabel");
      ui.input.placeholder = words("placeholder");
    }
    if (ui.launcher) {
      ui.launcherText.textContent = words("launcher");
      ui.launcher.setAttribute("aria-label", words("launcher"));
    }
    if (ui.privacyLink) {
      ui.privacyLink.href = privacyUrl();
    }
  }

  // The privacy page in the conversation's voice (« vous »: ?voix=vous).
  function privacyUrl() {
    var base = state.config.privacy.url.split("?")[0];
    var vous = state.profile === "parent" || state.profile === "referent";
    return vous ? base + "?voix=vous" : base;
  }

  function save() {
    if (!storage) {
      return;
    }
    try {
      storage.setItem(
        STORE_KEY,
        JSON.stringify({
          sessionId: state.sessionId,
          // A typed message is stored only once the gateway has sent back its masked text:
          // what the person typed (a phone number, an address…) never reaches the storage.
          history: state.history
            .filter(function (entry) {
              return !entry.pending;
            })
            .slice(-HISTORY_MAX),
          open: state.open,
          profile: state.profile,
          savedAt: Date.now(),
        })
      );
    } catch (e) {
      /* storage full or blocked: the conversation simply won't survive a reload */
    }
  }

  function restore() {
    if (!storage) {
      return false;
    }
    try {
      var saved = JSON.parse(storage.getItem(STORE_KEY) || "null");
      // A conversation left alone too long is not restored (shared family or library computers).
      var age = saved && typeof saved.savedAt === "number" ? Date.now() - saved.savedAt : Infinity;
      var fresh = age < state.config.keep_days * DAY_MS;
      if (fresh && typeof saved.sessionId === "string" && Array.isArray(saved.history)) {
        state.sessionId = saved.sessionId;
        state.history = saved.history;
        state.open = !!saved.open;
        setProfile(saved.profile);
        return true;
      }
    } catch (e) {
      /* unreadable storage: start afresh */
    }
    return false;
  }

  function api(path, body) {
    var url = BASE + path + "?partner=" + encodeURIComponent(PARTNER);
    var options = { method: body ? "POST" : "GET", headers: {} };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    } else if (PROFILE) {
      url += "&profile=" + encodeURIComponent(PROFILE);
    }
    return fetch(url, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
    });
  }

  /* ---------- rendering ---------- */

  function appendParts(container, message) {
    var parts = message.parts || [{ text: message.text || "" }];
    parts.forEach(function (part) {
      if (TOTEM && part.href) {
        // A kiosk must not navigate away or dial: the text stays, the QR code carries it away.
        container.appendChild(el("strong", "bsl-link-text", part.text));
      } else if (part.href && SAFE_HREF.test(part.href)) {
        var link = el("a", "bsl-link", part.text);
        link.href = part.href;
        if (/^https?:/.test(part.href)) {
          link.target = "_blank";
          link.rel = "noopener noreferrer";
        }
        container.appendChild(link);
      } else {
        container.appendChild(document.createTextNode(part.text || ""));
      }
    });
  }

  function feedbackButtons(entry) {
    var box = el("div", "bsl-feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", words("rateLabel"));
    // Words rather than emoji: many cheap phones and kiosks lack an emoji font.
    [
      ["up", "Utile", "Réponse utile"],
      ["down", "Pas utile", "Réponse pas utile"],
    ].forEach(function (spec) {
      var button = el("button", "bsl-thumb bsl-thumb-" + spec[0], spec[1]);
      button.type = "button";
      button.setAttribute("aria-label", spec[2]);
      button.setAttribute("aria-pressed", entry.rating === spec[0] ? "true" : "false");
      button.addEventListener("click", function () {
        rate(entry, spec[0], box);
      });
      box.appendChild(button);
    });
    return box;
  }

  function renderEntry(entry) {
    var item = el("div", "bsl-msg bsl-" + entry.who);
    var bubble = el("p", "bsl-bubble");
    bubble.appendChild(el("span", "bsl-sr", entry.who === "bot" ? "Boussole : " : words("me")));
    appendParts(bubble, entry);
    item.appendChild(bubble);
    if (entry.image && /^https?:\/\//.test(entry.image)) {
      var image = el("img", "bsl-image");
      image.src = entry.image;
      image.alt = "Image envoyée par Boussole";
      item.appendChild(image);
    }
    (entry.buttons || []).forEach(function (button) {
      if (button.url && SAFE_HREF.test(button.url)) {
        var link = el("a", "bsl-link-button", button.title);
        link.href = button.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        item.appendChild(link);
      }
    });
    if (entry.who === "bot" && entry.id && entry.rateable) {
      item.appendChild(feedbackButtons(entry));
    }
    ui.log.appendChild(item);
    ui.log.scrollTop = ui.log.scrollHeight;
    return item;
  }

  function renderReplies(buttons) {
    ui.replies.textContent = "";
    (buttons || []).forEach(function (button) {
      if (!button.payload) {
        return;
      }
      var chip = el("button", "bsl-reply", button.title);
      chip.type = "button";
      chip.addEventListener("click", function () {
        // The chips disappear once used: keep keyboard focus somewhere useful (not on a
        // kiosk, where focusing the text box would pop up the on-screen keyboard).
        if (!TOTEM) {
          ui.input.focus({ preventScroll: true });
        }
        send({ payload: button.payload, title: button.title });
      });
      ui.replies.appendChild(chip);
    });
    ui.replies.hidden = !ui.replies.childNodes.length;
  }

  function addEntry(entry) {
    state.history.push(entry);
    save();
    return renderEntry(entry);
  }

  function addBotEntry(message) {
    message.who = "bot";
    return addEntry(message);
  }

  function notify(text) {
    ui.notice.textContent = text || "";
    ui.notice.hidden = !text;
  }

  function setTyping(on) {
    state.busy = on;
    ui.typing.hidden = !on;
    ui.send.disabled = on;
  }

  function showTakeaway(takeaway) {
    if (!ui.takeaway) {
      return;
    }
    ui.takeaway.textContent = "";
    ui.takeaway.hidden = !takeaway;
    if (!takeaway) {
      return;
    }
    ui.takeaway.appendChild(el("p", "bsl-takeaway-title", words("takeaway")));
    var image = el("img", "bsl-qr");
    image.src = takeaway.qr_svg;
    image.alt = "QR code vers " + takeaway.shown;
    ui.takeaway.appendChild(image);
    ui.takeaway.appendChild(el("p", "bsl-takeaway-text", takeaway.label));
    if (takeaway.label !== takeaway.shown) {
      ui.takeaway.appendChild(el("p", "bsl-takeaway-text", takeaway.shown));
    }
    ui.takeaway.appendChild(el("p", "bsl-takeaway-hint", words("scan")));
  }

  function renderAll() {
    // A restored conversation is not news: screen readers should not read it all out again.
    ui.log.setAttribute("aria-live", "off");
    ui.log.textContent = "";
    state.history.forEach(renderEntry);
    setTimeout(function () {
      ui.log.setAttribute("aria-live", "polite");
    }, 0);
    var last = state.history[state.history.length - 1];
    renderReplies(last && last.who === "bot" ? last.buttons : []);
  }

  function welcome() {
    var config = state.config;
    addEntry({ who: "bot", text: config.welcome.text, buttons: config.welcome.buttons });
    renderReplies(config.welcome.buttons);
  }

  function startConversation(noticeText) {
    state.generation += 1;
    setProfile(state.config.profile); // a new person, maybe: the page's profile again
    state.sessionId = newSessionId();
    state.history = [];
    ui.log.textContent = "";
    // A half-typed message belongs to the previous visitor too.
    ui.input.value = "";
    updateCounter();
    setTyping(false);
    showTakeaway(null);
    welcome();
    notify(noticeText);
    save();
  }

  /* ---------- talking to the gateway ---------- */

  function send(message) {
    if (state.busy) {
      return;
    }
    var body = {
      session_id: state.sessionId,
      turn_id: newSessionId(),
      page_url: location.href,
      mode: TOTEM ? "totem" : "widget",
    };
    if (state.profile) {
      body.profile = state.profile;
    }
    if (message.payload) {
      body.payload = message.payload;
    } else {
      body.text = message.text;
    }
    var userEntry = { who: "user", text: message.title || message.text, pending: !message.title };
    var userNode = addEntry(userEntry);
    var generation = state.generation;
    renderReplies([]);
    notify("");
    setTyping(true);
    api("/api/chat", body)
      .then(function (result) {
        if (generation !== state.generation) {
          return; // the conversation was reset meanwhile: this answer is nobody's any more
        }
        var data = result.data || {};
        setProfile(data.profile);
        if (result.ok) {
          delete userEntry.pending;
          if (typeof data.user_text === "string" && data.user_text !== userEntry.text) {
            userEntry.text = data.user_text;
            userNode.remove();
            state.history.pop();
            addEntry(userEntry);
          }
          save();
          if (data.masked) {
            notify(words("masked"));
          }
          // One opinion per answer: only its last message carries the feedback buttons.
          (data.messages || []).forEach(function (m, index) {
            m.rateable = index === data.messages.length - 1;
            addBotEntry(m);
          });
          var last = data.messages && data.messages[data.messages.length - 1];
          renderReplies(last ? last.buttons : []);
          if (TOTEM) {
            showTakeaway(data.takeaway);
          }
        } else if (result.status === 503 && data.messages) {
          data.messages.forEach(addBotEntry);
        } else {
          // Refused (too long, too fast…): take the message back so nothing is lost.
          userNode.remove();
          state.history.pop();
          save();
          if (body.text) {
            ui.input.value = body.text;
          }
          notify(data.message || words("notSent"));
        }
      })
      .catch(function () {
        if (generation === state.generation) {
          notify(words("offline"));
        }
      })
      .then(function () {
        if (generation === state.generation) {
          setTyping(false);
          updateCounter();
        }
      });
  }

  function rate(entry, rating, box) {
    var generation = state.generation;
    var body = { session_id: state.sessionId, message_id: entry.id, rating: rating };
    if (state.profile) {
      body.profile = state.profile;
    }
    api("/api/feedback", body)
      .then(function (result) {
        if (generation !== state.generation) {
          return;
        }
        if (!result.ok) {
          notify((result.data && result.data.message) || words("rateFailed"));
          return;
        }
        entry.rating = rating;
        save();
        Array.prototype.forEach.call(box.children, function (button, index) {
          var value = index === 0 ? "up" : "down";
          button.setAttribute("aria-pressed", value === rating ? "true" : "false");
        });
        notify(result.data.message);
      })
      .catch(function () {
        if (generation === state.generation) {
          notify(words("rateFailed"));
        }
      });
  }

  /* ---------- building the widget ---------- */

  function updateCounter() {
    var length = ui.input.value.length;
    var max = state.config.max_length;
    ui.counter.textContent = length + " / " + max;
    ui.counter.hidden = length < max * 0.8;
    ui.counter.classList.toggle("bsl-over", length > max);
  }

  function setOpen(open) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    save();
    if (open) {
      ui.log.scrollTop = ui.log.scrollHeight;
      ui.input.focus();
    } else {
      ui.launcher.focus();
    }
  }

  function buildPanel(root) {
    var panel = el("section", "bsl-panel");
    panel.id = "bsl-panel";
    panel.setAttribute("aria-labelledby", "bsl-title");

    var header = el("div", "bsl-header");
    var titles = el("div", "bsl-titles");
    var title = el("h2", "bsl-title", "Boussole");
    title.id = "bsl-title";
    titles.appendChild(title);
    titles.appendChild(el("p", "bsl-subtitle", "L'assistant orientation · " + state.config.partner.name));
    header.appendChild(titles);
    var reset = el("button", "bsl-reset", "Nouvelle conversation");
    reset.type = "button";
    reset.addEventListener("click", function () {
      startConversation("Nouvelle conversation\u00a0: la précédente a été effacée.");
      if (!TOTEM) {
        ui.input.focus(); // on a kiosk this would pop up the on-screen keyboard
      }
    });
    header.appendChild(reset);
    if (!TOTEM) {
      var close = el("button", "bsl-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "Fermer Boussole");
      close.addEventListener("click", function () {
        setOpen(false);
      });
      header.appendChild(close);
    }
    panel.appendChild(header);

    var privacy = el("p", "bsl-privacy", state.config.privacy.text + " ");
    if (TOTEM) {
      privacy.appendChild(document.createTextNode("Détails : " + state.config.privacy.url));
    } else {
      var more = el("a", "bsl-link", "En savoir plus");
      more.href = privacyUrl();
      ui.privacyLink = more;
      more.target = "_blank";
      more.rel = "noopener";
      privacy.appendChild(more);
    }
    panel.appendChild(privacy);

    ui.log = el("div", "bsl-log");
    ui.log.setAttribute("role", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.log.setAttribute("aria-label", "Conversation avec Boussole");
    ui.log.tabIndex = 0;
    panel.appendChild(ui.log);

    ui.typing = el("div", "bsl-typing");
    ui.typing.setAttribute("role", "status");
    ui.typing.appendChild(el("span", "bsl-dots"));
    ui.typing.appendChild(document.createTextNode("Boussole écrit…"));
    ui.typing.hidden = true;
    panel.appendChild(ui.typing);

    ui.replies = el("div", "bsl-replies");
    ui.replies.setAttribute("role", "group");
    ui.replies.setAttribute("aria-label", "Réponses proposées");
    panel.appendChild(ui.replies);

    if (TOTEM) {
      ui.takeaway = el("div", "bsl-takeaway");
      ui.takeaway.hidden = true;
      panel.appendChild(ui.takeaway);
    }

    ui.notice = el("p", "bsl-notice");
    ui.notice.setAttribute("role", "status");
    ui.notice.hidden = true;
    panel.appendChild(ui.notice);

    var form = el("form", "bsl-form");
    var label = el("label", "bsl-sr", words("inputLabel"));
    label.htmlFor = "bsl-input";
    ui.inputLabel = label;
    ui.input = el("textarea", "bsl-input");
    ui.input.id = "bsl-input";
    ui.input.rows = 2;
    ui.input.placeholder = words("placeholder");
    ui.counter = el("span", "bsl-counter");
    ui.counter.setAttribute("aria-live", "polite");
    ui.send = el("button", "bsl-send", "Envoyer");
    ui.send.type = "submit";
    form.appendChild(label);
    form.appendChild(ui.input);
    form.appendChild(ui.counter);
    form.appendChild(ui.send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value.trim();
      if (!text || state.busy) {
        ui.input.focus();
        return;
      }
      ui.input.value = "";
      send({ text: text });
    });
    ui.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter goes to a new line, as in every messaging app.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    ui.input.addEventListener("input", updateCounter);
    panel.appendChild(form);
    ui.panel = panel;
    root.appendChild(panel);
    updateCounter();
  }

  function buildWidget(root) {
    ui.launcher = el("button", "bsl-launcher");
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-controls", "bsl-panel");
    ui.launcher.setAttribute("aria-expanded", "false");
    var icon = el("span", "bsl-launcher-icon", "?");
    icon.setAttribute("aria-hidden", "true");
    ui.launcher.appendChild(icon);
    ui.launcherText = el("span", "bsl-launcher-text", words("launcher"));
    ui.launcher.appendChild(ui.launcherText);
    // The text is hidden while the panel is open; the name must not change with it.
    ui.launcher.setAttribute("aria-label", words("launcher"));
    ui.launcher.addEventListener("click", function () {
      setOpen(ui.panel.hidden);
    });
    buildPanel(root);
    root.appendChild(ui.launcher);
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.open) {
        setOpen(false);
      }
    });
  }

  /* ---------- totem: forget the visitor after a while without a touch ---------- */

  function watchIdle() {
    var lastActivity = Date.now();
    var warnAt = Math.max(1, Math.min(20, Math.floor(IDLE_SECONDS / 4)));
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (type) {
      document.addEventListener(type, function () {
        lastActivity = Date.now();
        if (ui.notice.dataset.kind === "idle") {
          ui.notice.dataset.kind = "";
          notify("");
        }
      }, true);
    });
    setInterval(function () {
      var visitorActed = state.history.some(function (entry) {
        return entry.who === "user";
      });
      if (!visitorActed) {
        return;
      }
      var left = IDLE_SECONDS - Math.floor((Date.now() - lastActivity) / 1000);
      if (left <= 0) {
        startConversation("La conversation précédente a été effacée. Bienvenue\u00a0!");
        ui.notice.dataset.kind = "reset";
      } else if (left <= warnAt) {
        notify(words("stillThere") + left + " s.");
        ui.notice.dataset.kind = "idle";
      }
    }, 500);
  }

  function mount(config) {
    state.config = config;
    state.profile = config.profile;
    var host;
    if (TOTEM && script.dataset.mount && document.getElementById(script.dataset.mount)) {
      host = document.getElementById(script.dataset.mount);
    } else {
      host = el("div");
      host.id = "boussole-widget";
      document.body.appendChild(host);
    }
    // A shadow root keeps the partner page's CSS out of the widget, and the widget's out of it.
    var shadow = host.attachShadow({ mode: "open" });
    var style = el("link");
    style.rel = "stylesheet";
    style.href = BASE + "/widget.css";
    shadow.appendChild(style);
    var root = el("div", TOTEM ? "bsl-root bsl-totem" : "bsl-root");
    root.lang = "fr";
    shadow.appendChild(root);
    if (TOTEM) {
      buildPanel(root);
      startConversation("");
      watchIdle();
      return;
    }
    buildWidget(root);
    if (restore() && state.history.length) {
      renderAll();
    } else {
      startConversation("");
    }
    ui.panel.hidden = !state.open;
    ui.launcher.setAttribute("aria-expanded", state.open ? "true" : "false");
  }

  api("/api/config")
    .then(function (result) {
      if (!result.ok) {
        // For the partner's webmaster: the widget stays hidden rather than half-working.
        console.warn("Boussole : " + ((result.data && result.data.message) || result.status));
        return;
      }
      mount(result.data);
    })
    .catch(function () {
      console.warn("Boussole : la passerelle " + BASE + " ne répond pas.");
    });
})();
