/* The grid of rejected rows to fix (templates/uploads/fix.html): spreadsheet keys over plain
   inputs, and only the rows that were changed are sent. Without this script the form still
   works: the server compares every row with its rejected values and sends only the changed ones. */
(() => {
  "use strict";
  const grid = document.getElementById("fix-grid");
  if (!grid) return;
  const form = grid.closest("form");
  const said = document.getElementById("fix-changed");
  const rows = () => Array.from(grid.querySelectorAll("tbody tr[data-key]"));
  const cellsOf = (row) => Array.from(row.querySelectorAll("input[data-original]"));

  const isChanged = (row) => cellsOf(row).some((input) => input.value.trim() !== input.dataset.original);

  function count() {
    const changed = grid.querySelectorAll("tbody tr.changed").length;
    said.textContent = changed
      ? `${changed} row${changed === 1 ? "" : "s"} changed: ${changed === 1 ? "it" : "they"} will be sent.`
      : "No row changed yet: only the rows you change are sent.";
  }

  function mark(row) {
    row.classList.toggle("changed", isChanged(row));
    count();
  }

  function focusCell(input) {
    if (!input) return;
    input.focus();
    input.select();
  }

  // Up and down keep the column; left and right leave a cell only from either end of its text.
  function move(input, down, across) {
    const row = input.closest("tr");
    const cells = cellsOf(row);
    const column = cells.indexOf(input);
    if (across) {
      focusCell(cells[column + across]);
      return;
    }
    const all = rows();
    const target = all[all.indexOf(row) + down];
    if (target) focusCell(cellsOf(target)[column]);
  }

  grid.addEventListener("input", (event) => {
    if (event.target.matches("input[data-original]")) mark(event.target.closest("tr"));
  });

  grid.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!input.matches("input[data-original]") || event.altKey || event.ctrlKey || event.metaKey) return;
    const start = input.selectionStart === 0 && input.selectionEnd === 0;
    const end = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    let handled = true;
    if (event.key === "ArrowUp") move(input, -1, 0);
    else if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) move(input, 1, 0);
    else if (event.key === "Enter") move(input, -1, 0);
    else if (event.key === "ArrowLeft" && start) move(input, 0, -1);
    else if (event.key === "ArrowRight" && end) move(input, 0, 1);
    else if (event.key === "Escape" && input.value !== input.dataset.original) {
      input.value = input.dataset.original;
      mark(input.closest("tr"));
    } else handled = false;
    if (handled) event.preventDefault();
  });

  // Rows left as they were are not posted at all (the server would leave them out anyway).
  form.addEventListener("submit", () => {
    for (const row of rows()) {
      if (!row.classList.contains("changed")) for (const input of cellsOf(row)) input.disabled = true;
    }
  });
  // Back from the next page, the browser may restore the form as it was sent.
  window.addEventListener("pageshow", () => {
    for (const input of grid.querySelectorAll("input[data-original]")) input.disabled = false;
  });

  rows().forEach((row) => row.classList.toggle("changed", isChanged(row)));
  count();
})();
