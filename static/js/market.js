// Marketplace pages: category chips' scroll cue, the listing gallery (arrows, dots, zoom) and
// the photo picker's previews. Plain DOM, no framework; every page works without it.
(function () {
  "use strict";

  // Category chips: a fade and a "›" button while more chips hide to the right.
  document.querySelectorAll("[data-chips]").forEach(function (wrap) {
    var row = wrap.querySelector(".chips");
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

  // Photo picker: previews of the chosen files (and how many may still be added).
  document.querySelectorAll("[data-photo-picker]").forEach(function (input) {
    var list = document.createElement("div");
    list.className = "photo-previews";
    list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    function makeCover(i) {
      if (typeof DataTransfer === "undefined") return;
      var files = Array.prototype.slice.call(input.files);
      var moved = new DataTransfer();
      moved.items.add(files[i]);
      files.forEach(function (file, j) { if (j !== i) moved.items.add(file); });
      input.files = moved.files;
      input.dispatchEvent(new Event("change"));
    }
    input.addEventListener("change", function () {
      list.textContent = "";
      var max = parseInt(input.dataset.max || "5", 10);
      Array.prototype.forEach.call(input.files, function (file, i) {
        var figure = document.createElement("figure");
        figure.className = "photo-preview" + (i >= max ? " photo-preview--over" : "");
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        var caption = document.createElement("figcaption");
        caption.textContent = i === 0 ? "대표 사진" : "대표로 하기";
        figure.append(img, caption);
        if (i > 0) {
          figure.tabIndex = 0;
          figure.setAttribute("role", "button");
          figure.setAttribute("aria-label", file.name + " 대표 사진으로 하기");
          figure.addEventListener("click", function () { makeCover(i); });
          figure.addEventListener("keydown", function (e) { if (e.key === "Enter") makeCover(i); });
        }
        list.append(figure);
      });
      if (input.files.length > max) {
        var warn = document.createElement("p");
        warn.className = "field__error";
        warn.textContent = "사진은 최대 " + max + "장까지 올릴 수 있어요. 몇 장을 빼 주세요.";
        list.append(warn);
      }
    });
  });
})();
