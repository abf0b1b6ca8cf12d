/* The OpenAPI document of this server, rendered: each operation with its parameters and
   responses, and a form that sends the request from the page and shows the answer. */
"use strict";
(function () {
  const root = document.getElementById("api");
  const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
  const MAX_BODY = 100000;

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else if (key in node && typeof node[key] !== "function") node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function resolve(spec, object) {
    // follows a local "$ref" such as #/components/responses/Error
    if (!object || typeof object.$ref !== "string" || !object.$ref.startsWith("#/")) return object;
    return object.$ref.slice(2).split("/").reduce((node, key) => (node ? node[key] : undefined), spec) || object;
  }

  function schemaText(schema) {
    if (!schema) return "";
    let text = schema.type || "";
    if (schema.type === "array" && schema.items) text = `array of ${schema.items.type || "values"}`;
    if (schema.format) text += ` (${schema.format})`;
    if (schema.enum) text += `: one of ${schema.enum.join(", ")}`;
    if (schema.minimum !== undefined || schema.maximum !== undefined) {
      text += ` ${schema.minimum ?? ""}..${schema.maximum ?? ""}`;
    }
    return text;
  }

  function slug(text) {
    return text.replace(/[^A-Za-z0-9_-]+/g, "-");
  }

  function parameterTable(parameters) {
    const rows = parameters.map((p) =>
      el("tr", { "data-param": p.name },
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "required" }, " required") : ""),
        el("td", {}, p.in),
        el("td", {}, schemaText(p.schema)),
        el("td", {}, p.schema && p.schema.default !== undefined ? String(p.schema.default) : ""),
        el("td", {}, p.example !== undefined ? String(p.example) : ""),
        el("td", {}, p.description || (p.schema && p.schema.description) || ""),
      ));
    return el("table", { class: "results params" },
      el("thead", {}, el("tr", {}, ...["name", "in", "type", "default", "example", "description"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows));
  }

  function input(parameter, id) {
    const schema = parameter.schema || {};
    const example = parameter.example !== undefined ? String(parameter.example) : "";
    if (schema.enum) {
      return el("select", { id, name: parameter.name },
        el("option", { value: "" }, "(not given)"),
        ...schema.enum.map((v) => el("option", { value: v }, v)));
    }
    if (parameter.name === "query" || schema.type === "array") {
      return el("textarea", {
        id, name: parameter.name, rows: parameter.name === "query" ? 6 : 2,
        placeholder: schema.type === "array" ? "one value per line" : "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
      });
    }
    const type = schema.type === "integer" ? "number" : schema.format === "date" ? "date" : "text";
    return el("input", {
      id, name: parameter.name, type, placeholder: example ? `e.g. ${example}` : "",
      required: !!parameter.required,
    });
  }

  function tryForm(spec, path, method, operation, key) {
    const parameters = (operation.parameters || []).map((p) => resolve(spec, p));
    const ok = resolve(spec, (operation.responses || {})["200"]) || {};
    const types = Object.keys(ok.content || {});
    const output = el("div", { class: "response", hidden: true });
    const fields = parameters.map((p) => {
      const id = `try-${key}-${slug(p.name)}`;
      return el("div", { class: "field" }, el("label", { for: id }, p.name), input(p, id));
    });
    const accept = el("select", { id: `try-${key}-accept`, name: "accept" },
      ...types.map((t) => el("option", { value: t }, t)));
    const form = el("form", { class: "try", "data-operation": operation.operationId || key },
      ...fields,
      types.length ? el("div", { class: "field" }, el("label", { for: `try-${key}-accept` }, "Accept"), accept) : "",
      el("div", { class: "actions" }, el("button", { type: "submit" }, `Send ${method.toUpperCase()}`)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let target = path;
      const query = new URLSearchParams();
      for (const p of parameters) {
        const field = form.elements.namedItem(p.name);
        const raw = field ? field.value : "";
        const values = p.schema && p.schema.type === "array"
          ? raw.split("\n").map((v) => v.trim()).filter((v) => v)
          : raw === "" ? [] : [raw];
        if (p.in === "path") target = target.replace(`{${p.name}}`, encodeURIComponent(values[0] || ""));
        else if (p.in === "query") for (const v of values) query.append(p.name, v);
      }
      const url = target + (query.toString() ? "?" + query : "");
      const headers = types.length ? { Accept: accept.value } : {};
      output.hidden = false;
      output.replaceChildren(el("p", { class: "status busy" }, `${method.toUpperCase()} ${url} …`));
      try {
        const response = await fetch(url, { method: method.toUpperCase(), headers });
        let body = await response.text();
        const type = response.headers.get("content-type") || "";
        if (type.includes("json")) {
          try { body = JSON.stringify(JSON.parse(body), null, 2); } catch (_) { /* shown as sent */ }
        }
        const cut = body.length > MAX_BODY ? `\n… (${body.length - MAX_BODY} more characters)` : "";
        const curl = `curl${types.length ? ` -H 'Accept: ${accept.value}'` : ""} '${location.origin}${url}'`;
        output.replaceChildren(
          el("p", { class: "request" }, el("code", {}, curl)),
          el("p", { class: response.ok ? "status done" : "status error", "data-status": response.status },
            `${response.status} ${response.statusText}`, type ? ` · ${type}` : ""),
          el("pre", { class: "body" }, body.slice(0, MAX_BODY) + cut));
      } catch (error) {
        output.replaceChildren(el("p", { class: "status error" }, `The request failed: ${error}`));
      }
    });
    return el("details", { class: "try-it" }, el("summary", {}, "Try it"), form, output);
  }

  function operationSection(spec, path, method, operation) {
    const key = slug(operation.operationId || `${method}-${path}`);
    const parameters = (operation.parameters || []).map((p) => resolve(spec, p));
    const responses = Object.entries(operation.responses || {}).map(([code, response]) => {
      const r = resolve(spec, response) || {};
      const types = Object.keys(r.content || {});
      return el("li", {}, el("code", {}, code), " ", r.description || "",
        types.length ? el("span", { class: "types" }, ` (${types.join(", ")})`) : "");
    });
    return el("section", { class: "operation", id: `op-${key}`, "data-path": path, "data-method": method },
      el("h3", {}, el("span", { class: `method ${method}` }, method.toUpperCase()), " ", el("code", {}, path)),
      operation.summary ? el("p", { class: "summary" }, operation.summary) : "",
      operation.description && operation.description !== operation.summary
        ? el("p", { class: "description" }, operation.description) : "",
      (operation.tags || []).length ? el("p", { class: "tags" }, ...operation.tags.map((t) => el("span", { class: "tag" }, t))) : "",
      parameters.length ? parameterTable(parameters) : el("p", { class: "note" }, "No parameters."),
      el("h4", {}, "Responses"), el("ul", { class: "responses" }, ...responses),
      tryForm(spec, path, method, operation, key));
  }

  function render(spec) {
    const info = spec.info || {};
    const operations = [];
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const method of METHODS) {
        if (item[method]) operations.push([path, method, item[method]]);
      }
    }
    const toc = el("ol", { class: "toc", id: "operations" }, ...operations.map(([path, method, operation]) => {
      const key = slug(operation.operationId || `${method}-${path}`);
      return el("li", {}, el("a", { href: `#op-${key}` }, `${method.toUpperCase()} ${path}`),
        operation.summary ? ` · ${operation.summary}` : "");
    }));
    root.replaceChildren(
      el("h2", { id: "api-title" }, `${info.title || "API"} ${info.version || ""}`),
      info.description ? el("p", {}, info.description) : "",
      el("p", { class: "note" }, `OpenAPI ${spec.openapi || ""} · ${operations.length} operations`),
      toc,
      ...operations.map(([path, method, operation]) => operationSection(spec, path, method, operation)));
    root.dataset.ready = "true";
  }

  fetch(root.dataset.spec, { headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    })
    .then(render)
    .catch((error) => {
      root.replaceChildren(el("p", { class: "error", role: "alert" }, `The API document could not be read: ${error}`));
    });
})();
