// The query page: YASGUI against this server's /sparql, the library's queries as examples, and a
// URL that reproduces the query shown (kept in ?query= as it changes).
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var area = document.getElementById("query-text");
  var holder = document.getElementById("yasgui");
  var examples = JSON.parse(document.getElementById("examples").textContent);
  if (!window.Yasgui || !holder) return;
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
  var tab = yasgui.getTab();
  tab.setQuery(area.value);
  function links(text) {
    document.querySelectorAll("#downloads a[data-format]").forEach(function (a) {
      a.href = "/sparql?" + new URLSearchParams({ query: text, format: a.dataset.format });
    });
    document.getElementById("as-page").href = "/results?" + new URLSearchParams({ query: text });
    var shared = "/query?" + new URLSearchParams({ query: text });
    document.getElementById("share").href = shared;
    history.replaceState(null, "", shared + location.hash);
  }
  tab.getYasqe().on("change", function (yasqe) { links(yasqe.getValue()); });
  document.querySelectorAll("button[data-example]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = examples[button.dataset.example];
      tab.setQuery(text);
      links(text);
      tab.getYasqe().focus();
    });
  });
  if (new URLSearchParams(location.search).has("query")) tab.query();
})();
