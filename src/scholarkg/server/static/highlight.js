/* SPARQL syntax highlighting for the editor: a small tokenizer and a renderer that builds DOM
   nodes (never HTML strings), so the query text can hold anything. */
"use strict";
(function () {
  const KEYWORDS = new Set((
    "BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT DESCRIBE ASK FROM NAMED WHERE ORDER BY " +
    "ASC DESC LIMIT OFFSET VALUES OPTIONAL GRAPH UNION MINUS FILTER BIND SERVICE SILENT " +
    "GROUP HAVING UNDEF EXISTS NOT IN INSERT DELETE DATA WITH USING DEFAULT ALL LOAD CLEAR " +
    "DROP CREATE ADD MOVE COPY INTO TO TRUE FALSE"
  ).split(" "));
  const FUNCTIONS = new Set((
    "COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND " +
    "IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI " +
    "CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS " +
    "TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT " +
    "SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE"
  ).split(" "));
  // Tried in order at each position; the first that matches makes the token.
  const RULES = [
    ["space", /\s+/y],
    ["comment", /#[^\n]*/y],
    ["iri", /<[^<>"{}|^`\\\s]*>/y],
    ["string", /"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)/y],
    ["string", /"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?/y],
    ["variable", /[?$][\p{L}\p{N}_\u00B7]+/uy],
    ["lang", /@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*/y],
    ["bnode", /_:[\p{L}\p{N}_.-]*/uy],
    ["pname", /[\p{L}][\p{L}\p{N}_.-]*:(?:[\p{L}\p{N}_:%-]|\.(?=[\p{L}\p{N}_:%-]))*|:(?:[\p{L}\p{N}_:%-]|\.(?=[\p{L}\p{N}_:%-]))*/uy],
    ["number", /[+-]?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)/y],
    ["word", /[\p{L}_][\p{L}\p{N}_]*/uy],
    ["punct", /\^\^|&&|\|\||[!<>=]=?|[{}()[\].,;*\/+\-|^]/y],
    ["other", /[\s\S]/y],
  ];

  /** The tokens of a query: [{type, text}], types as in RULES; words become keyword,
      function or plain. */
  function tokens(text) {
    const out = [];
    let at = 0;
    while (at < text.length) {
      for (const [type, pattern] of RULES) {
        pattern.lastIndex = at;
        const match = pattern.exec(text);
        if (match && match[0].length > 0) {
          let kind = type;
          if (type === "word") {
            const upper = match[0].toUpperCase();
            if (match[0] === "a") kind = "keyword";
            else if (KEYWORDS.has(upper)) kind = "keyword";
            else if (FUNCTIONS.has(upper)) kind = "function";
          }
          out.push({ type: kind, text: match[0] });
          at += match[0].length;
          break;
        }
      }
    }
    return out;
  }

  /** The query as highlighted DOM: one <span class="tok-TYPE"> per token, text nodes for
      white space. */
  function highlight(text) {
    const fragment = document.createDocumentFragment();
    for (const token of tokens(text)) {
      if (token.type === "space" || token.type === "other") {
        fragment.appendChild(document.createTextNode(token.text));
      } else {
        const span = document.createElement("span");
        span.className = "tok-" + token.type;
        span.textContent = token.text;
        fragment.appendChild(span);
      }
    }
    return fragment;
  }

  window.scholarkg = Object.assign(window.scholarkg || {}, { tokens, highlight });
})();
