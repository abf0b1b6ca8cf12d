/* The SPARQL editor: a textarea over its highlighted copy, example queries, and a run that posts
   the query to /sparql and shows the answer (a table, a yes/no, or the triples). */
"use strict";
(function () {
  const { highlight, renderResults, MAX_ROWS } = window.scholarkg;
  const form = document.getElementById("editor-form");
  const textarea = document.getElementById("query");
  const pre = document.getElementById("highlight");
  const examples = document.getElementById("examples");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const downloads = document.getElementById("downloads");
  const runButton = document.getElementById("run");
  const stored = JSON.parse(document.getElementById("example-queries").textContent);
  const ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";
  const TABLE_FORMATS = [["CSV", "csv", "csv"], ["TSV", "tsv", "tsv"], ["JSON", "json", "srj"]];
  const GRAPH_FORMATS = [["Turtle", "turtle", "ttl"], ["N-Triples", "nt", "nt"], ["JSON-LD", "jsonld", "jsonld"]];

  function refresh() {
    // the trailing newline keeps the copy as tall as the textarea when the text ends in one
    pre.replaceChildren(highlight(textarea.value + "\n"));
    pre.scrollTop = textarea.scrollTop;
    pre.scrollLeft = textarea.scrollLeft;
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function post(query, extra) {
    const body = new URLSearchParams({ query, ...extra });
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: ACCEPT },
      body,
    });
  }

  async function errorText(response) {
    const text = await response.text();
    try {
      const error = JSON.parse(text);
      return `${error.error} (${error.status}): ${error.message}`;
    } catch (_) {
      return `${response.status} ${response.statusText}: ${text.slice(0, 500)}`;
    }
  }

  async function download(query, format, filename) {
    const response = await post(query, { format });
    if (!response.ok) {
      say(await errorText(response), "error");
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function offerDownloads(query, formats) {
    downloads.replaceChildren(document.createTextNode("Download: "));
    formats.forEach(([label, format, extension], i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.dataset.format = format;
      button.textContent = label;
      button.addEventListener("click", () => download(query, format, "results." + extension));
      if (i) downloads.appendChild(document.createTextNode(" · "));
      downloads.appendChild(button);
    });
    downloads.hidden = false;
  }

  async function run() {
    const query = textarea.value;
    const started = performance.now();
    say("Running…", "busy");
    runButton.disabled = true;
    results.replaceChildren();
    downloads.hidden = true;
    try {
      const response = await post(query, {});
      if (!response.ok) {
        say(await errorText(response), "error");
        return;
      }
      const type = response.headers.get("content-type") || "";
      const cap = response.headers.get("scholarkg-row-cap");
      const took = Math.round(performance.now() - started);
      const capped = cap ? `, cut at the server's row cap of ${cap}` : "";
      if (type.includes("sparql-results+json")) {
        const data = await response.json();
        const count = renderResults(results, data, query);
        if (typeof data.boolean === "boolean") {
          say(`Answered in ${took} ms.`, "done");
        } else {
          const shown = count > MAX_ROWS ? `; the first ${MAX_ROWS} are shown` : "";
          say(`${count} ${count === 1 ? "row" : "rows"} in ${took} ms${capped}${shown}.`, "done");
          offerDownloads(query, TABLE_FORMATS);
        }
      } else {
        const text = await response.text();
        const lines = text.split("\n").filter((line) => line.trim()).length;
        const block = document.createElement("pre");
        block.className = "triples";
        block.textContent = text;
        results.appendChild(block);
        say(`${lines} ${lines === 1 ? "triple" : "triples"} in ${took} ms${capped}.`, "done");
        offerDownloads(query, GRAPH_FORMATS);
      }
    } catch (error) {
      say(`The server did not answer: ${error}`, "error");
    } finally {
      runButton.disabled = false;
    }
  }

  textarea.addEventListener("input", refresh);
  textarea.addEventListener("scroll", () => {
    pre.scrollTop = textarea.scrollTop;
    pre.scrollLeft = textarea.scrollLeft;
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    } else if (event.key === "Tab" && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
      refresh();
    }
  });
  examples.addEventListener("change", () => {
    const chosen = stored.find((q) => q.name === examples.value);
    if (!chosen) return;
    textarea.value = `# ${chosen.title} (stored query ${chosen.name}; its parameters are unbound here)\n${chosen.sparql}`;
    refresh();
    textarea.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  refresh();
})();
