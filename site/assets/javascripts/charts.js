/* 图表下载：点击“下载图表（SVG）”时，把页面上这张图（内嵌 SVG，样式在其中）存成 .svg 文件。
   不依赖任何外部资源。 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a.bf-chart-download") : null;
    if (!a) { return; }
    var svg = a.closest("figure.bf-chart").querySelector("svg");
    if (!svg) { return; }
    var text = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
    if (a.href && a.href.indexOf("blob:") === 0) { URL.revokeObjectURL(a.href); }
    a.href = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  });
}());
