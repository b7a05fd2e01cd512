// The steward's area over the submission API: submit with the country's token, list versions,
// show a diff, roll back. The token stays in this page and goes to this server only; every value
// from the server is put in the page as text, never as markup.
(function () {
  "use strict";
  var form = document.getElementById("steward");
  var outcome = document.getElementById("s-outcome");
  var rows = document.querySelector("#s-versions tbody");
  var diff = document.getElementById("s-diff");
  var words = document.getElementById("s-text").dataset;
  function country() { return form.country.value; }
  function auth() { return { Authorization: "Bearer " + form.token.value }; }
  function say(text) { outcome.textContent = text; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] === undefined ? "" : String(values[key]); });
  }
  function cell(tr, value) { var td = document.createElement("td"); td.textContent = value == null ? "" : String(value); tr.appendChild(td); return td; }
  function button(td, label, action) {
    var b = document.createElement("button"); b.type = "button"; b.textContent = label; b.addEventListener("click", action); td.appendChild(b);
  }
  async function history() {
    var response = await fetch("/api/submissions/" + encodeURIComponent(country()));
    if (!response.ok) { say(words.failed + " " + (await response.text())); return; }
    var versions = await response.json();
    rows.textContent = "";
    versions.slice().reverse().forEach(function (v) {
      var tr = document.createElement("tr");
      tr.dataset.version = v.version;
      cell(tr, v.version); cell(tr, v.when); cell(tr, v.by); cell(tr, v.message); cell(tr, v.triples);
      var actions = cell(tr, "");
      if (v.version > 1) button(actions, fill(words.diff, { from: v.version - 1, to: v.version }), function () { showDiff(v.version - 1, v.version); });
      if (v.version < versions.length) button(actions, fill(words.rollback, { version: v.version }), function () { rollback(v.version); });
      rows.appendChild(tr);
    });
  }
  async function showDiff(from, to) {
    var response = await fetch("/api/submissions/" + encodeURIComponent(country()) + "/diff?" + new URLSearchParams({ from: from, to: to }));
    var body = await response.json();
    diff.textContent = body.removed.map(function (t) { return "- " + t; }).concat(body.added.map(function (t) { return "+ " + t; })).join("\n");
    diff.hidden = false;
  }
  async function answered(response) {
    if (response.status === 200 || response.status === 422) {
      var body = await response.json();
      var summary = body.report ? body.report.summary || "" : "";
      say(fill(words[body.status], { version: body.version, triples: body.triples, summary: summary }));
      await history();
    } else {
      say(words.failed + " " + (await response.text()));
    }
  }
  async function rollback(version) {
    var response = await fetch("/api/submissions/" + encodeURIComponent(country()) + "/rollback?" + new URLSearchParams({ to: version }), { method: "POST", headers: auth() });
    await answered(response);
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var file = form.file.files[0];
    if (!file) { say(words.nofile); return; }
    var query = new URLSearchParams({ name: file.name });
    if (form.message.value) query.set("message", form.message.value);
    var response = await fetch("/api/submissions/" + encodeURIComponent(country()) + "?" + query, {
      method: "POST", headers: Object.assign({ "Content-Type": "application/octet-stream" }, auth()), body: file,
    });
    await answered(response);
  });
  document.getElementById("s-history").addEventListener("click", history);
})();
