// Record tables (table.records-table, connectivity.prose.records_table): a search box
// above each table that hides the rows not containing its words, and headers that sort
// the rows when clicked (numbers as numbers, again for the reverse order). The verdict
// filter of the scorecard page is CSS (scorecard_page.figures.VerdictFilter); this adds
// to it. Without JavaScript the tables are as before.
(() => {
  const NUMBER = /^[\s<>≈~=±]*([-+−]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?)/i;

  const key = (cell) => {
    // a cell's collapsed detail (its summary shown) sorts by what a reader sees
    const shown = cell.querySelector("summary") || cell;
    const text = shown.innerText.trim();
    const m = text.match(NUMBER);
    return m ? { num: parseFloat(m[1].replace(/,/g, "").replace("−", "-")), text }
             : { num: null, text };
  };

  const compare = (a, b) => {
    if (a.num !== null && b.num !== null) return a.num - b.num;
    if (a.num !== null) return -1; // numbers before texts (e.g. "—")
    if (b.num !== null) return 1;
    return a.text.localeCompare(b.text, undefined, { numeric: true });
  };

  const sortBy = (table, column, th) => {
    const body = table.tBodies[0];
    const ascending = th.dataset.sorted !== "ascending";
    const rows = Array.from(body.rows);
    const keyed = rows.map((row, i) => ({ row, i, k: key(row.cells[column]) }));
    keyed.sort((a, b) => (ascending ? 1 : -1) * compare(a.k, b.k) || a.i - b.i);
    keyed.forEach(({ row }) => body.appendChild(row));
    table.querySelectorAll("thead th").forEach((h) => delete h.dataset.sorted);
    th.dataset.sorted = ascending ? "ascending" : "descending";
  };

  const search = (table, words) => {
    const wanted = words.toLowerCase().split(/\s+/).filter(Boolean);
    Array.from(table.tBodies[0].rows).forEach((row) => {
      const text = row.innerText.toLowerCase();
      row.classList.toggle("search-hidden", !wanted.every((w) => text.includes(w)));
    });
  };

  const enhance = (table) => {
    if (table.dataset.sortable || !table.tHead || !table.tBodies.length) return;
    if (!table.tBodies[0].rows.length) return;
    const header = table.tHead.rows[table.tHead.rows.length - 1];
    // a header row without the index's cell is shorter than the rows by that cell
    const shift = table.tBodies[0].rows[0].cells.length - header.cells.length;
    Array.from(header.cells).forEach((th, column) => {
      // textContent: a table behind a closed <details> has no rendered text yet
      const name = th.textContent.trim();
      if (!name) return; // the index column
      th.classList.add("sortable");
      th.title = "sort by " + name + " (again: reverse)";
      th.addEventListener("click", () => sortBy(table, column + shift, th));
    });
    const box = document.createElement("input");
    box.type = "search";
    box.className = "records-search";
    box.placeholder = "Search these " + table.tBodies[0].rows.length + " records";
    box.setAttribute("aria-label", box.placeholder);
    box.addEventListener("input", () => search(table, box.value));
    table.parentElement.insertBefore(box, table);
    table.dataset.sortable = "yes";
  };

  const run = () => document.querySelectorAll("table.records-table").forEach(enhance);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
