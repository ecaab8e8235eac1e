// Case2Code search box: "/" focuses it, and it suggests codes as you type.
// The page works without this file; it only adds the shortcut and the suggestion list.
(function () {
  "use strict";

  var boxes = document.querySelectorAll("input[type=search][name=q]");
  if (!boxes.length) return;

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      boxes[0].focus();
      boxes[0].select();
    }
  });

  boxes.forEach(function (input, index) {
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var active = -1;
    var items = [];
    var timer = null;
    var latest = 0;
    list.id = "suggestions-" + index;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.parentNode.classList.add("has-suggestions");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(next) {
      if (!items.length) return;
      active = (next + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function show(results) {
      list.textContent = "";
      items = results.map(function (result, i) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        var code = document.createElement("span");
        var title = document.createElement("span");
        var set = document.createElement("span");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        link.href = result.url;
        link.tabIndex = -1;
        code.className = "code-id";
        code.textContent = result.identifier;
        title.className = "code-name";
        title.textContent = result.title + " ";
        set.className = "set-tag";
        set.textContent = result.code_set;
        title.appendChild(set);
        link.appendChild(code);
        link.appendChild(title);
        item.appendChild(link);
        list.appendChild(item);
        return item;
      });
      status.textContent = results.length + " suggestion" + (results.length === 1 ? "" : "s");
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) return close();
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetch("/search/suggest/?q=" + encodeURIComponent(query), {
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { if (ticket === latest) show(data.results); })
          .catch(close);
      }, 120);
    });

    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].querySelector("a").href;
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 150); });
  });
})();
