/* 表格筛选：<input class="bf-filter-input" data-target="表格 id">，按行文字过滤。不依赖任何外部资源。 */
(function () {
  "use strict";
  function norm(s) { return (s || "").replace(/\s+/g, "").toLowerCase(); }
  function setup(input) {
    var table = document.getElementById(input.getAttribute("data-target"));
    if (!table || !table.tBodies.length) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var counter = document.querySelector('.bf-filter-count[data-for="' + input.getAttribute("data-target") + '"]');
    function apply() {
      var q = norm(input.value), shown = 0;
      rows.forEach(function (row) {
        var hit = !q || norm(row.textContent).indexOf(q) !== -1;
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (counter) { counter.textContent = q ? ("显示 " + shown + " / " + rows.length + " 行") : ("共 " + rows.length + " 行"); }
    }
    input.addEventListener("input", apply);
    apply();
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input.bf-filter-input"), setup);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
