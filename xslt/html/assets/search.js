/* teipress HTML edition: search without a server.
 * Reads window.TEIPRESS_SEARCH (search-index.js: [{u: url, t: title, k: kind, x: text}]),
 * matches every word of the query (case- and accent-insensitive) and shows keyword-in-context
 * snippets. Results are built with DOM APIs and textContent only: indexed text is never
 * interpreted as HTML. */
(function () {
  "use strict";
  var INDEX = window.TEIPRESS_SEARCH || [];
  var CONTEXT = 60;
  var MAX = 200;
  var KIND = { document: "Document", text: "Passage", person: "Person", place: "Place",
               org: "Organisation", bibl: "Work", term: "Term" };

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  // fold() keeps string length for precomposed Latin letters; map positions through a table
  // built from the original string so highlights stay exact.
  function folded(s) {
    var out = "", map = [];
    for (var i = 0; i < s.length; i++) {
      var f = fold(s.charAt(i));
      for (var j = 0; j < f.length; j++) { out += f.charAt(j); map.push(i); }
    }
    map.push(s.length);
    return { text: out, map: map };
  }

  function snippet(entry, words) {
    var f = folded(entry.x);
    var first = -1, len = 0;
    for (var i = 0; i < words.length; i++) {
      var at = f.text.indexOf(words[i]);
      if (at < 0) { return null; }
      if (first < 0 || at < first) { first = at; len = words[i].length; }
    }
    var phrase = words.join(" ");
    var pAt = f.text.indexOf(phrase);
    if (pAt >= 0) { first = pAt; len = phrase.length; }
    var start = f.map[first], end = f.map[first + len];
    var from = Math.max(0, start - CONTEXT), to = Math.min(entry.x.length, end + CONTEXT);
    return { before: (from > 0 ? "…" : "") + entry.x.slice(from, start),
             hit: entry.x.slice(start, end),
             after: entry.x.slice(end, to) + (to < entry.x.length ? "…" : ""),
             score: (pAt >= 0 ? 2 : 1) + (entry.k === "text" ? 0 : 0.5) };
  }

  function render(query) {
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var words = fold(query).split(/\s+/).filter(function (w) { return w.length > 0; });
    if (!words.length) { status.textContent = "Enter a word or a phrase."; return; }
    var hits = [];
    for (var i = 0; i < INDEX.length; i++) {
      var s = snippet(INDEX[i], words);
      if (s) { hits.push({ e: INDEX[i], s: s, i: i }); }
    }
    hits.sort(function (a, b) { return (b.s.score - a.s.score) || (a.i - b.i); });
    status.textContent = hits.length === 0 ? "No results for “" + query + "”."
      : hits.length + (hits.length === 1 ? " result" : " results") + " for “" + query + "”"
        + (hits.length > MAX ? " (first " + MAX + " shown)." : ".");
    hits.slice(0, MAX).forEach(function (h) {
      var li = document.createElement("li");
      li.className = "result result-" + h.e.k;
      var a = document.createElement("a");
      a.href = h.e.u;
      a.textContent = h.e.t;
      var kind = document.createElement("span");
      kind.className = "result-kind";
      kind.textContent = (KIND[h.e.k] || h.e.k) + ": ";
      var head = document.createElement("p");
      head.className = "result-title";
      head.appendChild(kind);
      head.appendChild(a);
      var kwic = document.createElement("p");
      kwic.className = "kwic";
      var mark = document.createElement("mark");
      mark.textContent = h.s.hit;
      kwic.appendChild(document.createTextNode(h.s.before));
      kwic.appendChild(mark);
      kwic.appendChild(document.createTextNode(h.s.after));
      li.appendChild(head);
      li.appendChild(kwic);
      list.appendChild(li);
    });
  }

  function start() {
    var input = document.getElementById("search-q");
    var form = document.getElementById("search-form");
    var q = new URLSearchParams(window.location.search).get("q") || "";
    input.value = q;
    render(q);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value = input.value;
      try {
        var url = new URL(window.location.href);
        url.searchParams.set("q", value);
        window.history.replaceState(null, "", url.toString());
      } catch (e) { /* file:// history may refuse; results still render */ }
      render(value);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
