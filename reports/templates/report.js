"use strict";
// Renders the findings from the page's JSON data (#report-data): filtered by minimum severity, status, subject and
// free text, PAGE rows at a time, why-and-how text built when opened; passing results counted per check, their
// subjects listed when opened. Every element is made with createElement and filled with textContent: report data
// is never parsed as HTML.
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const PAGE = 500;
  const $ = (id) => document.getElementById(id);
  const severity = $("f-severity");
  const status = $("f-status");
  const subject = $("f-subject");
  const text = $("f-text");
  const count = $("f-count");
  const noMatch = $("no-match");
  const moreRow = $("more-row");
  const box = $("groups");
  const SEVERITY_BY_RANK = ["info", "low", "medium", "high", "critical"];
  // a finding: [check id, subject index, status, evidence index, detail, waiver, baseline]
  const CHECK = 0, SUBJECT = 1, STATUS = 2, EVIDENCE = 3, DETAIL = 4, WAIVER = 5, BASELINE = 6;
  const haystacks = new Map();
  let limit = PAGE;

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  function show(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  const checkOf = (f) => data.checks[f[CHECK]];
  const subjectOf = (f) => data.subjects[f[SUBJECT]];
  const groupOf = (f) => data.groups[subjectOf(f)[2]];

  // per group: failing count and worst failing rank, over all its findings
  const groupFailing = data.groups.map(() => ({ failing: 0, worst: -1 }));
  for (const f of data.findings) {
    if (f[STATUS] !== "fail") continue;
    const tally = groupFailing[subjectOf(f)[2]];
    tally.failing += 1;
    tally.worst = Math.max(tally.worst, checkOf(f).rank);
  }

  function haystack(index) {
    let found = haystacks.get(index);
    if (found === undefined) {
      const f = data.findings[index];
      found = [f[CHECK], checkOf(f).title, subjectOf(f)[1], f[DETAIL], f[WAIVER] || "",
               JSON.stringify(data.evidence[f[EVIDENCE]])].join("\n").toLowerCase();
      haystacks.set(index, found);
    }
    return found;
  }

  function matching() {
    const minRank = Number(severity.value);
    const wantStatus = status.value;
    const wantSubject = subject.value;
    const needle = text.value.trim().toLowerCase();
    const found = [];
    data.findings.forEach((f, index) => {
      if (checkOf(f).rank < minRank) return;
      if (wantStatus && f[STATUS] !== wantStatus) return;
      if (wantSubject && subjectOf(f)[0] !== wantSubject) return;
      if (needle && !haystack(index).includes(needle)) return;
      found.push(index);
    });
    return found;
  }

  function whyAndHow(check) {
    const details = el("details");
    details.append(el("summary", "", "why and how to fix"));
    details.addEventListener("toggle", () => {
      if (details.childElementCount > 1) return;
      details.append(el("p", "", check.rationale));
      const fix = el("p");
      fix.append(el("strong", "", "Remediation:"), " " + check.remediation);
      details.append(fix);
      if (check.references.length) details.append(el("p", "muted", check.references.join(" · ")));
    });
    return details;
  }

  function evidenceList(evidence) {
    const list = el("dl", "evidence");
    for (const [key, value] of Object.entries(evidence)) list.append(el("dt", "", key), el("dd", "", show(value)));
    return list;
  }

  function row(f, group) {
    const check = checkOf(f);
    const tr = el("tr", "finding status-" + f[STATUS]);
    tr.dataset.rank = check.rank;
    tr.dataset.status = f[STATUS];
    tr.dataset.subject = subjectOf(f)[0];
    if (f[BASELINE]) tr.dataset.baseline = f[BASELINE];
    const sev = el("td");
    sev.append(el("span", "badge sev-" + check.severity, check.severity));
    const st = el("td");
    st.append(el("span", "badge st-" + f[STATUS], f[STATUS]));
    if (f[BASELINE] === "new") st.append(" ", el("span", "badge new", "new"));
    const what = el("td");
    what.append(el("div", "title", check.title));
    const ids = el("div", "muted");
    ids.append(el("code", "", f[CHECK]));
    if (check.cis.length) ids.append(" · CIS " + check.cis.join(", "));
    if (group.kind !== "pod") ids.append(" · " + subjectOf(f)[1]);
    what.append(ids);
    if (f[DETAIL]) what.append(el("div", "detail", f[DETAIL]));
    if (f[WAIVER]) what.append(el("div", "detail", "waived: " + f[WAIVER]));
    what.append(whyAndHow(check));
    tr.append(sev, st, what);
    if (group.kind === "pod") tr.append(el("td", "subject", subjectOf(f)[1]));
    const evidence = el("td");
    evidence.append(evidenceList(data.evidence[f[EVIDENCE]]));
    tr.append(evidence);
    return tr;
  }

  function groupSection(group, index) {
    const section = el("section", "group kind-" + group.kind);
    section.dataset.group = group.key;
    const heading = el("h3", "", group.title + " ");
    heading.append(el("span", "muted", group.subtitle));
    const tally = groupFailing[index];
    if (tally.failing) {
      heading.append(" ", el("span", "badge sev-" + SEVERITY_BY_RANK[tally.worst], tally.failing + " failing"));
    }
    const table = el("table", "findings");
    const head = el("tr");
    for (const name of ["severity", "status", "check", ...(group.kind === "pod" ? ["container"] : []), "evidence"]) {
      head.append(el("th", "", name));
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    table.append(thead, tbody);
    section.append(heading, table);
    return [section, tbody];
  }

  function apply() {
    const found = matching();
    const fragment = document.createDocumentFragment();
    let current = -1;
    let tbody = null;
    for (const index of found.slice(0, limit)) {
      const f = data.findings[index];
      const groupIndex = subjectOf(f)[2];
      if (groupIndex !== current) {
        let section;
        [section, tbody] = groupSection(data.groups[groupIndex], groupIndex);
        fragment.append(section);
        current = groupIndex;
      }
      tbody.append(row(f, groupOf(f)));
    }
    box.replaceChildren(fragment);
    const rendered = Math.min(found.length, limit);
    count.textContent = found.length + " of " + data.findings.length + " findings shown" +
      (rendered < found.length ? " (first " + rendered + " listed)" : "");
    noMatch.hidden = found.length !== 0;
    moreRow.hidden = rendered >= found.length;
  }

  function restart() {
    limit = PAGE;
    apply();
  }

  function passing() {
    const byCheck = new Map();
    for (const f of data.findings) {
      const entry = byCheck.get(f[CHECK]) || { passed: [], total: 0 };
      entry.total += 1;
      if (f[STATUS] === "pass") entry.passed.push(f);
      byCheck.set(f[CHECK], entry);
    }
    const ids = Array.from(byCheck.keys()).filter((id) => byCheck.get(id).passed.length)
      .sort((a, b) => data.checks[b].rank - data.checks[a].rank || (a < b ? -1 : 1));
    const rows = $("passing-rows");
    for (const id of ids) {
      const check = data.checks[id];
      const entry = byCheck.get(id);
      const tr = el("tr", "passed-check");
      tr.dataset.check = id;
      const sev = el("td");
      sev.append(el("span", "badge sev-" + check.severity, check.severity));
      const what = el("td");
      what.append(el("div", "title", check.title), el("code", "muted", id));
      const subjects = el("details");
      subjects.append(el("summary", "", entry.passed.length + " of " + entry.total));
      subjects.addEventListener("toggle", () => {
        if (subjects.childElementCount > 1) return;
        const list = el("ul", "passed-subjects");
        for (const f of entry.passed) {
          const item = el("li", "", subjectOf(f)[1] + " ");
          item.append(el("code", "muted", JSON.stringify(data.evidence[f[EVIDENCE]])));
          list.append(item);
        }
        subjects.append(list);
      });
      const cell = el("td");
      cell.append(subjects);
      tr.append(sev, what, cell);
      rows.append(tr);
    }
  }

  for (const [key, name] of data.subjects.map((s) => [s[0], s[1]]).sort((a, b) => (a[1] < b[1] ? -1 : 1))) {
    const option = el("option", "", name);
    option.value = key;
    subject.append(option);
  }
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  for (const control of [severity, status, subject]) control.addEventListener("change", restart);
  text.addEventListener("input", restart);
  $("more").addEventListener("click", () => {
    limit += PAGE;
    apply();
  });
  passing();
  apply();
})();
