/* SPARQL JSON results as an HTML table; IRIs of resources that have a page here become links. */
"use strict";
(function () {
  const MAX_ROWS = 1000;

  /** The page of an IRI on this server (mirrors pages.page_path), or null. */
  function pagePath(iri) {
    const base = document.body.dataset.base || "";
    if (!base || !iri.startsWith(base)) return null;
    const rest = iri.slice(base.length);
    if (!/^(person|org|paper)\//.test(rest)) return null;
    if (/[\x00-\x20<>"{}|\\^`\x7f]/.test(rest)) return null;
    if (rest.startsWith("paper/") && /\/(authorship|version)\//.test(rest)) return null;
    return "/id/" + rest.replace(/[^\x21-\x7e]|[#?[\]]/gu, (c) => encodeURIComponent(c));
  }

  /** Where a concept's papers are listed, or null. */
  function conceptPath(iri) {
    const scheme = document.body.dataset.concepts || "";
    if (!scheme || !iri.startsWith(scheme) || iri.length === scheme.length) return null;
    return "/forms/papers_about?concept=" + encodeURIComponent(iri);
  }

  /** PREFIX declarations of a query, as [prefix, namespace] pairs. */
  function prefixesOf(query) {
    const found = [];
    const pattern = /PREFIX\s+([\p{L}][\p{L}\p{N}_.-]*)?:\s*<([^>]*)>/giu;
    for (const match of query.matchAll(pattern)) found.push([match[1] || "", match[2]]);
    return found;
  }

  function compact(iri, prefixes) {
    let best = null;
    for (const [prefix, namespace] of prefixes) {
      if (namespace && iri.startsWith(namespace) && iri.length > namespace.length &&
          (!best || namespace.length > best[1].length)) best = [prefix, namespace];
    }
    return best ? best[0] + ":" + iri.slice(best[1].length) : iri;
  }

  function termNode(term, prefixes) {
    if (term.type === "uri") {
      const href = pagePath(term.value) || conceptPath(term.value);
      const node = document.createElement(href ? "a" : "span");
      if (href) node.href = href;
      else node.className = "iri";
      node.title = term.value;
      node.textContent = compact(term.value, prefixes);
      return node;
    }
    const span = document.createElement("span");
    if (term.type === "bnode") {
      span.className = "bnode";
      span.textContent = "_:" + term.value;
      return span;
    }
    span.className = "literal";
    span.textContent = term.value;
    if (term.datatype) span.title = term.datatype;
    if (term["xml:lang"]) {
      const lang = document.createElement("span");
      lang.className = "lang";
      lang.textContent = "@" + term["xml:lang"];
      const wrap = document.createDocumentFragment();
      wrap.append(span, lang);
      return wrap;
    }
    return span;
  }

  /** Render SPARQL JSON results (SELECT or ASK) into container; returns the number of rows. */
  function renderResults(container, data, query) {
    container.replaceChildren();
    if (typeof data.boolean === "boolean") {
      const p = document.createElement("p");
      p.className = "boolean";
      p.dataset.boolean = String(data.boolean);
      p.textContent = "Answer: " + (data.boolean ? "yes" : "no");
      container.appendChild(p);
      return 0;
    }
    const prefixes = [["id", document.body.dataset.base || ""], ...prefixesOf(query || "")];
    const vars = data.head.vars;
    const bindings = data.results.bindings;
    const table = document.createElement("table");
    table.className = "results";
    const head = table.createTHead().insertRow();
    for (const name of vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const binding of bindings.slice(0, MAX_ROWS)) {
      const row = body.insertRow();
      for (const name of vars) {
        const cell = row.insertCell();
        if (binding[name]) cell.appendChild(termNode(binding[name], prefixes));
      }
    }
    container.appendChild(table);
    return bindings.length;
  }

  window.scholarkg = Object.assign(window.scholarkg || {}, {
    MAX_ROWS, pagePath, conceptPath, prefixesOf, compact, renderResults,
  });
})();
