/* Narrow screens show every table row as a stack of cells (static/css/app.css); this names each cell after
   its column header, so a stacked cell reads "Status: succeeded". Without it the cells simply stack. */
(function () {
  "use strict";

  function label(table) {
    var headers = table.tHead ? table.tHead.rows[0] : null;
    if (!headers) { return; }
    var names = [];
    Array.prototype.forEach.call(headers.cells, function (cell) {
      for (var span = 0; span < (cell.colSpan || 1); span += 1) { names.push(cell.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.colSpan === 1 && names[column] && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), label);
  });
}());
