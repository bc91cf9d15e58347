/* The webhook form, made shorter: only the chosen auth method's settings show, and each event group's "all"
   box ticks or clears the group (and shows whether all, some or none of it is ticked). Without JavaScript
   every method's settings show in their own labelled group and the server uses only the chosen one's. */
(function () {
  "use strict";

  function showChosenMethod(select) {
    Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-auth-method]"), function (group) {
      group.hidden = group.getAttribute("data-auth-method") !== select.value;
    });
  }

  function syncAll(group) {
    var all = group.querySelector("input[data-event-all]");
    var boxes = group.querySelectorAll("li input[type=checkbox]");
    var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    all.checked = ticked === boxes.length && ticked > 0;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function wireGroup(group) {
    var all = group.querySelector("input[data-event-all]");
    if (!all) { return; }
    var boxes = group.querySelectorAll("li input[type=checkbox]");
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      all.indeterminate = false;
    });
    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", function () { syncAll(group); });
    });
    syncAll(group);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("auth_method");
    if (select) {
      select.addEventListener("change", function () { showChosenMethod(select); });
      showChosenMethod(select);
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-event-group]"), wireGroup);
  });
}());
