/* 表格排序：用 site/assets/vendor/tablesort（npm 包 tablesort，见那里的 README）。
   数字列（th.num）按数值排，其他列按中文排序规则；“*”（不公开）和“—”（台账中无记录）
   无论升序降序都排在最后；“合计”行留在表尾。不依赖任何外部资源。 */
(function () {
  "use strict";
  if (typeof Tablesort === "undefined") { return; }
  var collator = new Intl.Collator("zh-Hans-CN", { numeric: true });
  function num(s) {
    var v = parseFloat(String(s).replace(/[,\s元户个%]/g, ""));
    return isNaN(v) ? -Infinity : v;
  }
  // tablesort 的比较函数给出降序，升序时它把结果反过来
  Tablesort.extend("bfnum", function () { return false; }, function (a, b) {
    var x = num(a), y = num(b);
    return x === y ? 0 : (y > x ? 1 : -1);
  });
  Tablesort.extend("bftext", function () { return false; }, function (a, b) {
    return collator.compare(b.trim(), a.trim());
  });
  function missing(cell) {
    if (!cell) { return true; }
    if (cell.querySelector(".bf-missing, .bf-withheld")) { return true; }
    var t = cell.textContent.trim();
    return t === "" || t === "—" || t === "*";
  }
  function setup(table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2 || !table.tHead) { return; }
    Array.prototype.forEach.call(body.rows, function (row) {
      var first = row.cells[0];
      if (first && first.textContent.trim() === "合计") { row.setAttribute("data-bf-total", ""); }
    });
    var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(heads, function (th) {
      th.setAttribute("data-sort-method", th.classList.contains("num") ? "bfnum" : "bftext");
      th.title = "点击排序";
    });
    var sorter = new Tablesort(table);
    table.addEventListener("afterSort", function () {
      var col = sorter.col, keep = [], last = [], totals = [];
      Array.prototype.forEach.call(body.rows, function (row) {
        if (row.hasAttribute("data-bf-total")) { totals.push(row); }
        else if (missing(row.cells[col])) { last.push(row); }
        else { keep.push(row); }
      });
      keep.concat(last, totals).forEach(function (row) { body.appendChild(row); });
    });
    table.classList.add("bf-sortable");
  }
  function init() {
    Array.prototype.forEach.call(
      document.querySelectorAll("table.bf-table:not(.bf-facts)"), setup);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
