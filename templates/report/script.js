// Progressive enhancement only: filter and sort the VM cards and rows. The page is complete
// without it (every card is in the page; compact rows open with <details>).
(function () {
  "use strict";
  var list = document.getElementById("vm-list");
  var tools = document.getElementById("vm-tools");
  if (!list || !tools) { return; }
  var filter = document.getElementById("vm-filter");
  var klass = document.getElementById("vm-class");
  var order = document.getElementById("vm-sort");
  var count = document.getElementById("vm-count");
  var fields = ["name", "nsg", "rule", "rg", "sub", "port"];
  var cards = Array.prototype.map.call(list.querySelectorAll("[data-vm]"), function (el) {
    var card = { el: el, pos: Number(el.getAttribute("data-vm")), klass: el.getAttribute("data-class") };
    fields.forEach(function (f) { card[f] = (el.getAttribute("data-" + f) || "").toLowerCase(); });
    card.offenders = (el.getAttribute("data-offenders") || "").split(" ");
    card.all = fields.map(function (f) { return card[f]; }).join(" ");
    return card;
  });
  var heads = Array.prototype.slice.call(list.querySelectorAll("[data-group]"));
  tools.hidden = false;
  // "nsg:web rule:ssh 22": every word must match; "field:" narrows a word to one field;
  // "offender:N" keeps the VMs whose ports rule N of the top offending rules opens.
  function parse(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean).map(function (word) {
      var at = word.indexOf(":");
      var field = at > 0 ? word.slice(0, at) : "";
      if (field === "offender" || fields.indexOf(field) >= 0) {
        return { field: field, value: word.slice(at + 1) };
      }
      return { field: "", value: word };
    });
  }
  function matches(card, word) {
    if (word.field === "offender") { return card.offenders.indexOf(word.value) >= 0; }
    return (word.field ? card[word.field] : card.all).indexOf(word.value) >= 0;
  }
  function apply() {
    var words = parse(filter.value);
    var wanted = klass.value;
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!wanted || card.klass === wanted) &&
        words.every(function (w) { return matches(card, w); });
      if (card.el.hidden === ok) { card.el.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + cards.length + " shown";
  }
  function sortKey(card, by) {
    if (by === "ports") { return card.port ? "0 " + card.port : "1"; }
    return card[by] || "\uffff";
  }
  function sort() {
    var by = order.value;
    var sorted = cards.slice().sort(function (a, b) {
      if (by) {
        var x = sortKey(a, by), y = sortKey(b, by);
        if (x < y) { return -1; }
        if (x > y) { return 1; }
      }
      return a.pos - b.pos;
    });
    heads.forEach(function (h) { h.hidden = Boolean(by); });
    if (!by) {
      // Classification order: each group's head before its cards.
      heads.forEach(function (h) { list.appendChild(h); sorted.filter(function (c) {
        return c.klass === h.getAttribute("data-group");
      }).forEach(function (c) { list.appendChild(c.el); }); });
      return;
    }
    sorted.forEach(function (c) { list.appendChild(c.el); });
  }
  function show(query) {
    filter.value = query;
    klass.value = "";
    apply();
    document.getElementById("vms").scrollIntoView();
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.show-vms"), function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { show("offender:" + b.getAttribute("data-offender")); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("td[data-filter]"), function (td) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "filter-link";
    b.title = "Show these VMs";
    while (td.firstChild) { b.appendChild(td.firstChild); }
    td.appendChild(b);
    b.addEventListener("click", function () { show(td.getAttribute("data-filter")); });
  });
  // A link to a card inside a closed row opens the row.
  function openTarget() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  filter.addEventListener("input", apply);
  klass.addEventListener("change", apply);
  order.addEventListener("change", sort);
  openTarget();
  apply();
}());
