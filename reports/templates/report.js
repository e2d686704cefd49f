"use strict";
// Client-side filtering of the findings: by minimum severity, status, subject and free text.
// Reads only data-* attributes and textContent; never builds HTML from report data.
(function () {
  const severity = document.getElementById("f-severity");
  const status = document.getElementById("f-status");
  const subject = document.getElementById("f-subject");
  const text = document.getElementById("f-text");
  const count = document.getElementById("f-count");
  const noMatch = document.getElementById("no-match");
  const rows = Array.from(document.querySelectorAll("tr.finding"));
  const groups = Array.from(document.querySelectorAll("section.group"));

  function matches(row, minRank, wantStatus, wantSubject, needle) {
    if (Number(row.dataset.rank) < minRank) return false;
    if (wantStatus && row.dataset.status !== wantStatus) return false;
    if (wantSubject && row.dataset.subject !== wantSubject) return false;
    return !needle || row.textContent.toLowerCase().includes(needle);
  }

  function apply() {
    const minRank = Number(severity.value);
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const visible = matches(row, minRank, status.value, subject.value, needle);
      row.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const group of groups) {
      group.hidden = !group.querySelector("tr.finding:not([hidden])");
    }
    count.textContent = shown + " of " + rows.length + " findings shown";
    noMatch.hidden = shown !== 0;
  }

  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
  for (const control of [severity, status, subject]) control.addEventListener("change", apply);
  text.addEventListener("input", apply);
  apply();
})();
