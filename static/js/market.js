// Marketplace pages: category chips' scroll cue, the listing gallery (arrows, dots, zoom) and
// the photo picker (previews, order). Plain DOM, no framework; every page works without it.
(function () {
  "use strict";

  // Category chips and the filter row: a fade and a "›" button while more hides to the right.
  document.querySelectorAll("[data-chips]").forEach(function (wrap) {
    var row = wrap.querySelector("[data-chips-row]");
    var next = wrap.querySelector("[data-chips-next]");
    function update() {
      var more = row.scrollLeft + row.clientWidth < row.scrollWidth - 4;
      wrap.classList.toggle("chips-wrap--more", more);
      wrap.classList.toggle("chips-wrap--scrolled", row.scrollLeft > 4);
    }
    next.addEventListener("click", function () {
      row.scrollBy({ left: row.clientWidth * 0.7, behavior: "smooth" });
    });
    row.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    var on = row.querySelector(".chip--on");
    if (on && on.offsetLeft > row.clientWidth) row.scrollLeft = on.offsetLeft - 40;
    update();
  });

  // Gallery: swipe (native scroll-snap), arrows, dots that follow, tap to zoom.
  document.querySelectorAll("[data-gallery]").forEach(function (box) {
    var track = box.querySelector("[data-gallery-track]");
    var dots = box.querySelectorAll(".gallery__dot");
    function index() { return Math.round(track.scrollLeft / track.clientWidth); }
    function go(i) { track.scrollTo({ left: i * track.clientWidth, behavior: "smooth" }); }
    function update() {
      var i = index();
      dots.forEach(function (dot, j) { dot.classList.toggle("gallery__dot--on", i === j); });
      var prev = box.querySelector("[data-gallery-prev]");
      var next = box.querySelector("[data-gallery-next]");
      if (prev) prev.disabled = i === 0;
      if (next) next.disabled = i >= dots.length - 1;
    }
    box.querySelectorAll("[data-gallery-prev]").forEach(function (b) { b.addEventListener("click", function () { go(index() - 1); }); });
    box.querySelectorAll("[data-gallery-next]").forEach(function (b) { b.addEventListener("click", function () { go(index() + 1); }); });
    track.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { e.preventDefault(); go(index() + 1); }
      if (e.key === "ArrowLeft") { e.preventDefault(); go(index() - 1); }
    });
    track.addEventListener("scroll", update, { passive: true });
    update();
    var dialog = document.querySelector("[data-zoom-dialog]");
    if (!dialog || !dialog.showModal) return;
    var big = dialog.querySelector("img");
    track.querySelectorAll("[data-zoom]").forEach(function (img) {
      img.addEventListener("click", function () {
        big.src = img.src;
        big.alt = img.alt;
        dialog.showModal();
      });
    });
    dialog.addEventListener("click", function () { dialog.close(); });
  });

  // 관심: toggled in place (the form posts normally without JS).
  document.querySelectorAll(".like-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button");
      var wanted = form.elements.liked.value;
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) { alert(res.body.error || "잠시 후 다시 시도해 주세요."); return; }
          var on = res.body.liked;
          button.classList.toggle("like--on", on);
          button.setAttribute("aria-pressed", on ? "true" : "false");
          button.setAttribute("aria-label", on ? "관심 해제" : "관심 추가");
          form.elements.liked.value = on ? "0" : "1";
          document.querySelectorAll("[data-like-count]").forEach(function (el) { el.textContent = res.body.count; });
        })
        .catch(function () { form.elements.liked.value = wanted; form.submit(); });
    });
  });

  // Photo picker: every photo in one row (the listing's, kept and new ones), ordered by dragging
  // or with ◀ ▶ (phones drag badly, keyboards cannot); the order goes in the form's photo_order
  // and the first photo left in is the cover.
  document.querySelectorAll("[data-photo-picker]").forEach(function (input) {
    var field = input.closest(".field");
    var sorter = field.querySelector("[data-photo-sorter]");
    var order = input.form.elements.photo_order;
    if (!sorter || !order) return;
    var max = parseInt(input.dataset.max || "5", 10);
    var warn = document.createElement("p");
    warn.className = "field__error";
    warn.setAttribute("aria-live", "polite");
    warn.hidden = true;
    sorter.insertAdjacentElement("afterend", warn);
    var dragged = null;

    function tiles() { return Array.prototype.slice.call(sorter.children); }
    function left(tile) { // unticked "유지", ticked "삭제": the photo goes
      var box = tile.querySelector("input[type=checkbox]");
      return !box || (box.name === "remove_photos" ? !box.checked : box.checked);
    }
    function update() {
      var all = tiles();
      var kept = 0;
      all.forEach(function (tile, i) {
        var stays = left(tile);
        tile.classList.toggle("photo-tile--cover", stays && kept === 0);
        tile.classList.toggle("photo-tile--out", !stays);
        tile.classList.toggle("photo-tile--over", stays && kept >= max);
        if (stays) kept += 1;
        tile.querySelector('[data-move="-1"]').disabled = i === 0;
        tile.querySelector('[data-move="1"]').disabled = i === all.length - 1;
      });
      order.value = all.map(function (tile) { return tile.dataset.token; }).join(",");
      warn.hidden = kept <= max;
      warn.textContent = kept > max ? "사진은 최대 " + max + "장까지 올릴 수 있어요. 몇 장을 빼 주세요." : "";
    }
    function equip(tile) {
      var name = tile.querySelector("img").alt;
      tile.draggable = true;
      var badge = document.createElement("span");
      badge.className = "photo-tile__cover";
      badge.textContent = "대표 사진";
      var moves = document.createElement("span");
      moves.className = "photo-tile__moves";
      [["-1", "◀", "앞으로"], ["1", "▶", "뒤로"]].forEach(function (m) {
        var button = document.createElement("button");
        button.type = "button";
        button.dataset.move = m[0];
        button.textContent = m[1];
        button.setAttribute("aria-label", name + " " + m[2] + " 옮기기");
        moves.append(button);
      });
      tile.prepend(badge);
      tile.querySelector("img").after(moves); // the buttons line up under every photo
    }
    function move(tile, step) {
      var all = tiles();
      var to = all.indexOf(tile) + step;
      if (to < 0 || to >= all.length) return;
      sorter.insertBefore(tile, step < 0 ? all[to] : all[to].nextSibling);
      update();
      var same = tile.querySelector('[data-move="' + step + '"]');
      (same.disabled ? tile.querySelector('[data-move="' + -step + '"]') : same).focus();
    }
    sorter.addEventListener("click", function (e) {
      var button = e.target.closest("[data-move]");
      if (button) move(button.closest(".photo-tile"), parseInt(button.dataset.move, 10));
    });
    sorter.addEventListener("change", update);
    sorter.addEventListener("dragstart", function (e) {
      dragged = e.target.closest && e.target.closest(".photo-tile");
      if (!dragged) return;
      dragged.classList.add("photo-tile--dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.dataset.token);
    });
    sorter.addEventListener("dragover", function (e) {
      if (!dragged) return;
      e.preventDefault();
      var over = e.target.closest(".photo-tile");
      if (!over || over === dragged) return;
      var box = over.getBoundingClientRect();
      sorter.insertBefore(dragged, e.clientX > box.left + box.width / 2 ? over.nextSibling : over);
    });
    sorter.addEventListener("drop", function (e) { if (dragged) e.preventDefault(); });
    sorter.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("photo-tile--dragging");
      dragged = null;
      update();
    });

    tiles().forEach(equip);
    input.addEventListener("change", function () { // a new choice of files replaces the last one's
      sorter.querySelectorAll("[data-new]").forEach(function (tile) { tile.remove(); });
      Array.prototype.forEach.call(input.files, function (file, i) {
        var tile = document.createElement("li");
        tile.className = "photo-tile";
        tile.dataset.token = "n" + i;
        tile.dataset.new = "";
        var img = document.createElement("img");
        img.alt = file.name;
        img.width = img.height = 88;
        img.src = URL.createObjectURL(file);
        tile.append(img);
        equip(tile);
        sorter.append(tile);
      });
      update();
    });
    update();
  });
})();
