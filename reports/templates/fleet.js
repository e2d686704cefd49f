"use strict";
// Renders the fleet from the page's JSON data (#fleet-data): hosts filtered by name, checks by id and minimum
// severity, cells by status, PAGE hosts at a time. Every element is made with createElement and filled with
// textContent: report data is never parsed as HTML.
(function () {
  const data = JSON.parse(document.getElementById("fleet-data").textContent);
  const PAGE = 50;
  const $ = (id) => document.getElementById(id);
  const filters = { host: $("f-host"), check: $("f-check"), severity: $("f-severity"), status: $("f-status") };
  // a host: [name, error, hostname, docker, kernel, collected at, containers, failing per severity, cells, escapable]
  // cells: one letter per check (data.cells says which status), null when the host was not audited
  const NAME = 0, ERROR = 1, HOSTNAME = 2, DOCKER = 3, KERNEL = 4, COLLECTED = 5, FAILING = 7, CELLS = 8,
    ESCAPABLE = 9;
  // a check: [id, title, severity, failing hosts]
  const ID = 0, TITLE = 1, SEVERITY = 2, FAILING_HOSTS = 3;
  const SYMBOL = { fail: "\u2717", pass: "\u2713", unknown: "?", waived: "w", not_applicable: "\u2013" };
  const rank = (severity) => data.severities.length - data.severities.indexOf(severity);
  let page = 0;

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  const cellOf = (host, check) => (host[CELLS] === null ? "" : data.cells[host[CELLS][check]] || "");

  for (const check of data.checks) {
    const option = el("option", "", check[ID]);
    option.value = check[ID];
    filters.check.appendChild(option);
  }

  function selection() {
    const text = filters.host.value.trim().toLowerCase();
    const only = filters.check.value;
    const minRank = Number(filters.severity.value);
    const status = filters.status.value;
    const hosts = data.hosts.filter((h) => !text || h[NAME].toLowerCase().includes(text)
      || (h[HOSTNAME] || "").toLowerCase().includes(text));
    let checks = [];
    data.checks.forEach((c, i) => {
      if ((!only || c[ID] === only) && (!minRank || rank(c[SEVERITY]) >= minRank)) checks.push(i);
    });
    if (status === "any") return { hosts, checks };
    if (status === "not_audited") return { hosts: hosts.filter((h) => h[ERROR] !== null), checks };
    checks = checks.filter((i) => hosts.some((h) => cellOf(h, i) === status));
    return { hosts: hosts.filter((h) => h[ERROR] !== null || checks.some((i) => cellOf(h, i) === status)), checks };
  }

  function matrix(hosts, checks) {
    const head = el("tr");
    head.appendChild(el("th", "", "host"));
    for (const i of checks) {
      const check = data.checks[i];
      const th = el("th", "check");
      th.title = `${check[TITLE]} (${check[SEVERITY]}, failing on ${check[FAILING_HOSTS]} hosts)`;
      th.appendChild(el("span", `sev-${check[SEVERITY]}`, check[ID]));
      head.appendChild(th);
    }
    $("matrix").tHead.replaceChildren(head);
    const body = $("matrix").tBodies[0];
    body.replaceChildren();
    for (const host of hosts) {
      const row = el("tr", "host-row");
      row.appendChild(el("th", "", host[NAME]));
      for (const i of checks) {
        if (host[ERROR] !== null) {
          const td = el("td", "error", "!");
          td.title = "not audited";
          row.appendChild(td);
          continue;
        }
        const cell = cellOf(host, i);
        const td = el("td", cell, SYMBOL[cell] || "");
        td.title = `${host[NAME]}: ${data.checks[i][ID]}: ${cell || "not run"}`;
        row.appendChild(td);
      }
      body.appendChild(row);
    }
  }

  function escapable(host) {
    const td = el("td");
    if (!host[ESCAPABLE].length) {
      td.appendChild(el("span", "muted", "none"));
      return td;
    }
    const details = el("details");
    details.appendChild(el("summary", "", `${host[ESCAPABLE].length} escapable`));
    details.addEventListener("toggle", () => {
      if (!details.open || details.childElementCount > 1) return;
      for (const [container, techniques] of host[ESCAPABLE]) {
        const line = el("div");
        line.appendChild(el("code", "", container));
        line.appendChild(document.createTextNode(": " + techniques.map((t) => data.techniques[t]).join(", ")));
        details.appendChild(line);
      }
    });
    td.appendChild(details);
    return td;
  }

  function hostTable(hosts) {
    const body = $("hosts").tBodies[0];
    body.replaceChildren();
    for (const host of hosts) {
      const row = el("tr");
      row.appendChild(el("td")).appendChild(el("b", "", host[NAME]));
      if (host[ERROR] !== null) {
        const td = el("td", "error", `not audited: ${host[ERROR]}`);
        td.colSpan = 4 + data.severities.length;
        row.append(td, el("td"));
      } else {
        for (const field of [HOSTNAME, DOCKER, KERNEL, COLLECTED]) row.appendChild(el("td", "", host[field] || "-"));
        host[FAILING].forEach((count, i) => {
          row.appendChild(el("td", count ? `sev-${data.severities[i]}` : "muted", count));
        });
        row.appendChild(escapable(host));
      }
      body.appendChild(row);
    }
  }

  function checkTable(checks) {
    const body = $("checks").tBodies[0];
    body.replaceChildren();
    for (const i of checks) {
      const check = data.checks[i];
      const row = el("tr");
      row.appendChild(el("td")).appendChild(el("code", "", check[ID]));
      row.append(el("td", `sev-${check[SEVERITY]}`, check[SEVERITY]), el("td", "", check[TITLE]),
        el("td", "", `${check[FAILING_HOSTS]} / ${data.hosts.length}`));
      body.appendChild(row);
    }
  }

  function render() {
    const { hosts, checks } = selection();
    const pages = Math.max(1, Math.ceil(hosts.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = hosts.slice(page * PAGE, (page + 1) * PAGE);
    matrix(shown, checks);
    hostTable(shown);
    checkTable(checks);
    $("f-count").textContent = hosts.length
      ? `hosts ${page * PAGE + 1}\u2013${page * PAGE + shown.length} of ${hosts.length} (${data.hosts.length} in the fleet), page ${page + 1} of ${pages}`
      : `no host of ${data.hosts.length} matches`;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
  }

  for (const input of Object.values(filters)) {
    input.addEventListener(input.tagName === "INPUT" ? "input" : "change", () => { page = 0; render(); });
  }
  $("prev").addEventListener("click", () => { page -= 1; render(); });
  $("next").addEventListener("click", () => { page += 1; render(); });
  render();
}());
