// The query page: YASGUI against this server's /sparql, the library's queries as examples, and a
// URL that reproduces the query shown (kept in ?query= as it changes).
//
// The page is usable before the editor: its form (a text area, run as a page of results) is
// served with it, and the library's buttons fill it. YASGUI (1 MB of script, the most of the
// page's first load) is fetched once the page has loaded, and takes the form's place when it
// is ready; the editor's holder says so with data-ready="true".
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var area = document.getElementById("query-text");
  var holder = document.getElementById("yasgui");
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var tab = null;
  if (!holder) return;
  function links(text) {
    document.querySelectorAll("#downloads a[data-format]").forEach(function (a) {
      a.href = "/sparql?" + new URLSearchParams({ query: text, format: a.dataset.format });
    });
    document.getElementById("as-page").href = "/results?" + new URLSearchParams({ query: text });
    var shared = "/query?" + new URLSearchParams({ query: text });
    document.getElementById("share").href = shared;
    history.replaceState(null, "", shared + location.hash);
  }
  area.addEventListener("input", function () { links(area.value); });
  document.querySelectorAll("button[data-example]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = examples[button.dataset.example];
      area.value = text;
      links(text);
      if (tab) {
        tab.setQuery(text);
        tab.getYasqe().focus();
      } else {
        area.focus();
      }
    });
  });
  function load() {
    var waiting = 2;
    function loaded() { if (--waiting === 0) start(); }
    var style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = holder.dataset.style;
    style.onload = style.onerror = loaded;
    document.head.appendChild(style);
    var script = document.createElement("script");
    script.src = holder.dataset.script;
    script.onload = loaded;
    document.body.appendChild(script);
  }
  if (document.readyState === "complete") load();
  else window.addEventListener("load", load);

  function start() {
    if (!window.Yasgui) return;
    var typing = document.activeElement === area;
    var endpoint = new URL(holder.dataset.endpoint, location.href).href;
    // Only completers that need no other site: prefixes are bundled, variables come from the text.
    Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
    var yasgui = new Yasgui(holder, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
      persistenceId: null,
      populateFromUrl: false,
      autofocus: false,
      yasqe: { value: area.value, persistenceId: null, showQueryButton: true },
      yasr: { persistenceId: null, pluginOrder: ["table", "response"], defaultPlugin: "table" },
    });
    form.hidden = true;
    // Names for the editor's own controls, which YASGUI leaves unlabelled.
    // One tab only: its tab bar is a plain list, not a tablist without tabs.
    holder.querySelectorAll(".tabsList[role=tablist]").forEach(function (list) {
      list.removeAttribute("role");
      list.querySelectorAll("[role=tab], [role=presentation]").forEach(function (el) {
        el.removeAttribute("role");
        el.removeAttribute("aria-selected");
      });
    });
    holder.querySelectorAll("input.autocomplete").forEach(function (input) {
      input.setAttribute("aria-label", holder.dataset.endpointLabel);
    });
    holder.querySelectorAll(".CodeMirror textarea").forEach(function (input) {
      input.setAttribute("aria-label", holder.dataset.editorLabel);
    });
    tab = yasgui.getTab();
    tab.setQuery(area.value);
    tab.getYasqe().on("change", function (yasqe) { links(yasqe.getValue()); });
    if (typing) tab.getYasqe().focus();
    holder.dataset.ready = "true";
    if (new URLSearchParams(location.search).has("query")) tab.query();
  }
})();
