// NELLM chat client: vanilla JS, no dependencies. Protocol: docs/PROTOCOL.md.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;

  var role = root.dataset.role;
  var listPrice = parseInt(root.dataset.listPrice, 10);
  var log = document.getElementById("chat-log");
  var typing = document.getElementById("chat-typing");
  var banner = document.getElementById("chat-banner");
  var conn = document.getElementById("chat-conn");
  var errorBox = document.getElementById("chat-error");
  var stateLabel = document.getElementById("chat-state");
  var listingStatus = document.getElementById("chat-listing-status");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var offerOpen = document.getElementById("offer-open");
  var dialog = document.getElementById("offer-dialog");
  var cancelForm = document.getElementById("reservation-cancel");

  var ws = null;
  var retries = 0;
  var everOpen = false;
  var state = null;
  var streams = {}; // reply_to -> {li, body, text (received), shown (characters revealed)}
  // The typing pace is this page's (the server sends each piece as soon as it is written):
  // a reply is revealed a word every `pace` ms. Events wait in `queue` while a stored reply
  // finishes its reveal (`revealing`), so the screen keeps their order.
  var pace = parseInt(root.dataset.streamDelayMs, 10) || 0;
  var queue = [];
  var revealing = null; // {stream, message}: the stored reply whose words are still coming
  var ticker = null;
  var seen = {}; // message id -> true
  var typingTimer = null;
  var TYPING_TIMEOUT_MS = 45000;

  function fmtWon(n) { return Number(n).toLocaleString("ko-KR") + "원"; }

  var VERDICTS = {"##<수락>##": ["accept", "수락"], "##<거절>##": ["deny", "거절"]};
  var OFFER_TOKEN = /##<\s*[\d,]+\s*>##/;

  function withoutTokens(text) {
    return text.replace("##<수락>##", "").replace("##<거절>##", "").trim();
  }

  function displayText(msg) {
    if (msg.role === "buyer" && msg.offer) {
      var rest = msg.text.replace(OFFER_TOKEN, "").trim(); // words typed around the token
      return "최종 가격 제안: " + fmtWon(msg.price) + (rest ? "\n" + rest : "");
    }
    return withoutTokens(msg.text);
  }

  // The answer to a final offer gets a badge instead of the raw protocol token; the seller's
  // view also notes the Advisor's decision behind each bot reply.
  var sellerName = root.dataset.sellerName || "판매자";
  var WHO = {bot: "낼름 봇 · 판매자 대신", seller: sellerName + " · 판매자"};

  // As in a messenger: one's own bubbles on the right with a read mark, the other party's on
  // the left with an avatar once per run (the seller's initial; the bot has a mark of its own,
  // so the buyer can tell who talks). The seller's side is the bot's and the seller's bubbles.
  var MINE = role === "seller" ? {seller: true, bot: true} : role === "buyer" ? {buyer: true} : {buyer: true};
  var OWN = role === "seller" ? "seller" : role === "buyer" ? "buyer" : null; // bubbles with a read mark
  var READER = OWN === "buyer" ? "seller" : "buyer"; // whose read mark they wait for
  var read = {buyer: 0, seller: 0};
  var INITIALS = {seller: root.dataset.sellerInitial || "판", buyer: root.dataset.buyerInitial || "구"};
  var SVG = "http://www.w3.org/2000/svg";

  function botMark() {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    [["rect", {x: 4, y: 7, width: 16, height: 12, rx: 4, fill: "currentColor"}],
     ["rect", {x: 11, y: 3, width: 2, height: 4, fill: "currentColor"}],
     ["circle", {cx: 12, cy: 3, r: 1.6, fill: "currentColor"}],
     ["circle", {cx: 9, cy: 13, r: 1.7, fill: "#2f3a4a"}],
     ["circle", {cx: 15, cy: 13, r: 1.7, fill: "#2f3a4a"}]].forEach(function (part) {
      var el = document.createElementNS(SVG, part[0]);
      Object.keys(part[1]).forEach(function (k) { el.setAttribute(k, part[1][k]); });
      svg.appendChild(el);
    });
    return svg;
  }

  function avatar(roleName) {
    var mark = document.createElement("span");
    mark.className = "bubble__avatar bubble__avatar--" + roleName;
    mark.setAttribute("aria-hidden", "true");
    if (roleName === "bot") mark.appendChild(botMark());
    else mark.textContent = INITIALS[roleName] || "";
    return mark;
  }

  // The latest message of the reader's side: what comes before it was seen (a bot reply counts
  // as the seller's side having read the buyer's message).
  function answeredUpTo() {
    var items = log.querySelectorAll("li[data-id]");
    for (var i = items.length - 1; i >= 0; i--) {
      var r = items[i].dataset.role;
      if (READER === "seller" ? r === "bot" || r === "seller" : r === "buyer") return Number(items[i].dataset.id);
    }
    return 0;
  }

  function refreshReads() {
    if (!OWN) return;
    var upTo = Math.max(read[READER] || 0, answeredUpTo());
    var marks = Array.prototype.slice.call(log.querySelectorAll(".bubble__read"));
    var lastSeen = -1;
    marks.forEach(function (mark, i) { if (Number(mark.closest("li").dataset.id) <= upTo) lastSeen = i; });
    // "1" on each one not read yet; 읽음 once, on the latest one read (as Daangn shows it).
    marks.forEach(function (mark, i) {
      var seen = i <= lastSeen && Number(mark.closest("li").dataset.id) <= upTo;
      mark.textContent = !seen ? "1" : i === lastSeen ? "읽음" : "";
      mark.classList.toggle("bubble__read--unread", !seen);
      mark.title = seen ? "상대방이 읽었어요" : "아직 읽지 않았어요";
    });
  }

  function readUpTo(marks) {
    if (!marks) return;
    read.buyer = Math.max(read.buyer, marks.buyer || 0);
    read.seller = Math.max(read.seller, marks.seller || 0);
    refreshReads();
  }

  function clock(iso) {
    var at = iso ? new Date(iso) : null;
    return at && !isNaN(at) ? at.toLocaleTimeString("ko-KR", {hour: "numeric", minute: "2-digit"}) : "";
  }

  function decorate(li, msg) {
    var old = li.querySelectorAll(".bubble__verdict, .bubble__note, .bubble__who, .bubble__meta");
    for (var i = 0; i < old.length; i++) old[i].remove();
    // Who is talking (the bot and the seller look different), once per run, and when.
    var who = WHO[msg.role] || (msg.role === "buyer" && role !== "buyer" ? (root.dataset.buyerName || "구매자") : "");
    if (who && msg.role !== OWN && !li.classList.contains("bubble--cont")) {
      var label = document.createElement("span");
      label.className = "bubble__who";
      label.textContent = who;
      li.insertBefore(label, li.firstChild);
    }
    var meta = document.createElement("span");
    meta.className = "bubble__meta";
    if (msg.role === OWN) {
      var mark = document.createElement("span");
      mark.className = "bubble__read";
      meta.appendChild(mark);
    }
    var time = document.createElement("time");
    time.className = "bubble__time";
    time.dateTime = msg.created || "";
    time.textContent = clock(msg.created);
    meta.appendChild(time);
    li.appendChild(meta);
    var verdict = msg.role === "bot" ? VERDICTS[msg.text.trim().slice(0, 8)] : null;
    if (verdict) {
      var badge = document.createElement("span");
      badge.className = "bubble__verdict bubble__verdict--" + verdict[0];
      badge.textContent = verdict[1];
      li.insertBefore(badge, li.firstChild);
    }
    if (msg.role === "seller" && msg.price != null && role !== "buyer") {
      var bound = document.createElement("p");
      bound.className = "bubble__note";
      bound.textContent = "봇도 이 가격을 지켜요 · " + fmtWon(msg.price);
      li.appendChild(bound);
    }
    if (msg.decision) {
      var note = document.createElement("p");
      note.className = "bubble__note";
      note.textContent = "봇 판단 · " + msg.decision.label +
        (msg.decision.price != null ? " " + fmtWon(msg.decision.price) : "") +
        (msg.decision.asks_seller ? " · 설명에 없는 질문이에요. 직접 답해 주세요" : "");
      li.appendChild(note);
    }
  }

  function bubble(roleName, text, extraClass) {
    var li = document.createElement("li");
    li.className = "bubble bubble--" + roleName + (extraClass ? " " + extraClass : "");
    li.dataset.role = roleName;
    var prev = log.lastElementChild;
    if (roleName !== "system") {
      li.classList.add(MINE[roleName] ? "bubble--mine" : "bubble--other");
      if (prev && prev.dataset.role === roleName) li.classList.add("bubble--cont");
      else if (!MINE[roleName]) li.appendChild(avatar(roleName));
    }
    var body = document.createElement("p");
    body.className = "bubble__text";
    body.textContent = text; // never innerHTML: chat text is untrusted
    li.appendChild(body);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    window.scrollTo(0, document.body.scrollHeight);
    return {li: li, body: body};
  }

  function addMessage(msg) {
    if (seen[msg.id]) return;
    seen[msg.id] = true;
    var stream = msg.reply_to != null ? streams[msg.reply_to] : null;
    var li;
    if (stream) { // the streamed bubble becomes the stored reply
      stream.body.textContent = displayText(msg);
      stream.li.classList.remove("bubble--streaming");
      li = stream.li;
      delete streams[msg.reply_to];
    } else {
      li = bubble(msg.role, displayText(msg), msg.offer ? "bubble--offer" : "").li;
    }
    li.dataset.id = msg.id;
    decorate(li, msg);
    refreshReads();
    if (msg.role === "bot" || msg.role === "system") setTyping(false);
    if (msg.role === "buyer" && role === "buyer") { input.value = ""; setBusy(false); }
    if (msg.role === "seller" && role === "seller") {
      input.value = ""; setBusy(false);
      var questions = document.getElementById("chat-questions");  // answered: the notice goes
      if (questions && msg.id > Number(questions.dataset.after)) questions.hidden = true;
    }
  }

  function streamFor(replyTo) {
    if (!streams[replyTo]) {
      var b = bubble("bot", "", "bubble--streaming");
      streams[replyTo] = {li: b.li, body: b.body, text: "", shown: 0};
    }
    return streams[replyTo];
  }

  function render(s) {
    s.body.textContent = withoutTokens(s.text.slice(0, s.shown));
    log.scrollTop = log.scrollHeight;
  }

  // One word more of every stream still behind its text; a stored reply fully shown takes
  // its place, and the events that waited for it follow.
  function tick() {
    var behind = false;
    Object.keys(streams).forEach(function (key) {
      var s = streams[key];
      if (s.shown >= s.text.length) return;
      var space = s.text.indexOf(" ", s.shown);
      s.shown = space < 0 ? s.text.length : space + 1;
      render(s);
      behind = behind || s.shown < s.text.length;
    });
    if (revealing && revealing.stream.shown >= revealing.stream.text.length) {
      var msg = revealing.message;
      revealing = null;
      addMessage(msg);
      noteIncoming(msg);
      pump();
    }
    if (!behind && !revealing) { clearInterval(ticker); ticker = null; }
  }

  function reveal(s) {
    if (!pace) { s.shown = s.text.length; render(s); return; }
    if (!ticker) ticker = setInterval(tick, pace);
  }

  function addChunk(ev) {
    var s = streamFor(ev.reply_to);
    var offset = typeof ev.offset === "number" ? ev.offset : s.text.length;
    setTyping(true);
    if (offset + ev.text.length <= s.text.length) return; // already had it (reconnect)
    if (offset > s.text.length) return; // joined mid-reply past the saved text: the stored reply fills it
    s.text = s.text.slice(0, offset) + ev.text;
    reveal(s);
  }

  // A stored bot reply arrived: shown once its words have all been revealed at the pace.
  function storedReply(msg) {
    var s = streamFor(msg.reply_to);
    var shown = s.text.slice(0, s.shown);
    s.text = msg.text;
    s.shown = msg.text.indexOf(shown) === 0 ? shown.length : msg.text.length; // reworded: at once
    revealing = {stream: s, message: msg};
    reveal(s);
    tick(); // the next word now, and the reply itself if nothing is left to reveal
  }

  // The reply is done (typing is over). A bubble still streaming means its stored message
  // never reached us (a dropped event): reconnect, and the history brings it. Empty bubbles
  // (a reply that failed and will be retried) just go.
  function settleStreams() {
    var lost = Object.keys(streams).some(function (key) { return streams[key].text; });
    Object.keys(streams).forEach(function (key) {
      streams[key].li.remove();
      delete streams[key];
    });
    if (lost && ws && ws.readyState === WebSocket.OPEN) ws.close(4000, "resync");
  }

  function retract(replyTo) { // a reply stopped before it was stored (the seller took over)
    var s = streams[replyTo];
    if (revealing && revealing.stream === s) revealing = null;
    if (s) { s.li.remove(); delete streams[replyTo]; }
    setTyping(false);
  }

  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { setTyping(false); }, TYPING_TIMEOUT_MS);
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function setBusy(busy) {
    if (sendButton) sendButton.disabled = busy || !canTalk();
  }

  function canTalk() {
    if (role === "seller") return true;
    // After the deal the buyer and the seller arrange the hand-over here; the bot stays silent.
    return role === "buyer" && state && (state.state === "open" || state.state === "agreed");
  }

  function canOffer() {
    return role === "buyer" && state && (state.state === "open" || state.state === "waiting");
  }

  var BANNERS = {
    agreed: function (s) {
      // True to the listing as it is now: reserved for this deal, or sold.
      if (s.listing_status === "sold") return "거래가 완료되었어요! 합의 가격 " + fmtWon(s.agreed_price) + " · 판매완료";
      return ["거래가 성사되었어요! 합의 가격 " + fmtWon(s.agreed_price) + " · 예약중",
        "이제 봇은 답하지 않아요. " + (role === "seller" ? "구매자" : "판매자") +
        "와 시간·장소(또는 택배)를 정해 약속을 잡아 보세요."];
    },
    failed: function () { return "아쉽지만 협상이 결렬되었어요."; },
    waiting: function (s) {
      return ["이 상품은 다른 구매자와 거래가 성사되어 예약중이에요.",
        s.standing_offer ? "남겨 두신 제안: " + fmtWon(s.standing_offer) : "'가격 제안'으로 희망 가격을 남겨 둘 수 있어요."];
    },
    closed: function () { return "이 협상은 종료되었어요."; },
    seller: function () {
      return role === "buyer" ? "판매자가 직접 대화 중이에요." : "직접 대화 중이에요. 봇은 답하지 않아요.";
    }
  };

  var controls = document.getElementById("seller-controls");
  function applyControls(s) {
    if (!controls) return;
    var active = s.state === "open" || s.state === "waiting";
    controls.hidden = !active;
    controls.querySelector('[data-action="takeover"]').hidden = s.seller_in_control;
    controls.querySelector('[data-action="handback"]').hidden = !s.seller_in_control;
    var offer = document.getElementById("seller-offer");
    if (offer) {
      offer.hidden = !(s.standing_offer && s.state === "open");
      document.getElementById("seller-offer-label").textContent =
        s.standing_offer ? "구매자 제안 " + fmtWon(s.standing_offer) : "";
    }
  }
  if (controls) {
    controls.addEventListener("click", function (e) {
      var action = e.target.dataset && e.target.dataset.action;
      if (!action) return;
      if (action === "accept" && !window.confirm(
        fmtWon(state.standing_offer) + "에 거래를 확정할까요? 상품이 예약중이 돼요.")) return;
      send({type: action});
    });
  }

  function applyState(s) {
    state = s;
    readUpTo(s.read);
    stateLabel.textContent = s.label;
    stateLabel.dataset.state = s.state;
    listingStatus.textContent = s.listing_status_label;
    var make = s.seller_in_control && s.state === "open" ? BANNERS.seller : BANNERS[s.state];
    banner.hidden = !make;
    banner.textContent = "";
    // A headline, and a smaller second line where there is more to say: the bar stays short.
    [].concat(make ? make(s) : []).forEach(function (line, i) {
      var part = document.createElement(i ? "small" : "strong");
      part.textContent = line;
      banner.appendChild(part);
    });
    banner.className = "chat__banner chat__banner--" + s.state;
    root.dataset.state = s.state;
    if (input) {
      input.disabled = !canTalk();
      if (role === "buyer" && s.state === "agreed") input.placeholder = "판매자에게 약속 시간·장소를 보내 보세요";
      if (role === "buyer" && s.state === "waiting") input.placeholder = "예약중에는 '가격 제안'만 남길 수 있어요";
      if (role === "seller") input.placeholder = "구매자에게 직접 보내는 메시지";
    }
    setBusy(false);
    if (offerOpen) offerOpen.disabled = !canOffer();
    if (cancelForm) cancelForm.hidden = s.listing_status !== "reserved";
    if (!s.typing) { setTyping(false); settleStreams(); } else setTyping(true);
    applyControls(s);
    applyFeedback(s);
  }

  // "대화가 자연스러웠나요?" once the chat has ended, answered once.
  var feedbackForm = document.getElementById("feedback-form");
  function applyFeedback(s) {
    if (!feedbackForm) return;
    var ended = s.state === "agreed" || s.state === "failed" || s.state === "closed";
    feedbackForm.hidden = !ended || s.feedback_given;
    document.getElementById("feedback-thanks").hidden = !s.feedback_given;
  }
  if (feedbackForm) {
    feedbackForm.addEventListener("click", function (e) {
      var answer = e.target.dataset && e.target.dataset.natural;
      if (!answer) return;
      send({type: "feedback", natural: answer === "true", comment: document.getElementById("feedback-comment").value});
    });
  }

  function onEvent(ev) {
    if (ev.type === "history") { // the whole chat as it stands: what waited is in it
      queue = []; revealing = null;
      clearInterval(ticker); ticker = null;
      handle(ev);
      return;
    }
    queue.push(ev);
    pump();
  }

  function pump() {
    while (!revealing && queue.length) handle(queue.shift());
  }

  function handle(ev) {
    switch (ev.type) {
      case "history":
        log.textContent = "";
        streams = {}; seen = {};
        ev.messages.forEach(addMessage);
        applyState(ev.state);
        if (ev.pending && ev.pending.live) {
          var s = streamFor(ev.pending.reply_to);
          s.text = ev.pending.text || "";
          s.shown = s.text.length; // what was written before this page joined shows at once
          render(s);
          setTyping(true);
        }
        break;
      case "message":
        var msg = ev.message;
        if (pace && msg.role === "bot" && msg.reply_to != null && !seen[msg.id]) storedReply(msg);
        else { addMessage(msg); noteIncoming(msg); }
        break;
      case "typing": streamFor(ev.reply_to); setTyping(true); break;
      case "chunk": addChunk(ev); break;
      case "retract": retract(ev.reply_to); break;
      case "read": if (ev.role === READER) readUpTo({buyer: ev.role === "buyer" ? ev.up_to : 0, seller: ev.role === "seller" ? ev.up_to : 0}); break;
      case "state": applyState(ev); break;
      case "error": showError(ev.message); setBusy(false); break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    readOwed = document.hidden;
    ws = new WebSocket(scheme + location.host + root.dataset.wsPath + (readOwed ? "?hidden=1" : ""));
    ws.onopen = function () { everOpen = true; retries = 0; conn.hidden = true; showError(""); };
    ws.onmessage = function (e) {
      try { onEvent(JSON.parse(e.data)); } catch (err) { console.error(err); }
    };
    ws.onclose = function (e) {
      // 4401: this login ended (logged out, deactivated, a new password). A new session in this
      // browser (a password change here) reconnects; otherwise three refusals end the retries.
      if (e.code === 4401) everOpen = false;
      if (e.code === 4403 || (!everOpen && retries >= 3)) {
        conn.hidden = false;
        conn.textContent = "대화에 접속할 수 없어요. 새로고침하거나 다시 로그인해 주세요.";
        return;
      }
      conn.hidden = false;
      conn.textContent = e.code === 4429
        ? "요청이 너무 많아 잠시 연결을 끊었어요. 곧 다시 연결할게요."
        : "연결이 끊겼어요. 다시 연결하는 중…";
      if (e.code === 4429) retries = Math.max(retries, 3); // back off: the limit needs time
      setTyping(false);
      retries += 1;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retries)));
    };
  }

  function send(payload) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      showError("연결이 끊겨 있어요. 다시 연결되면 보내 주세요.");
      return false;
    }
    showError("");
    ws.send(JSON.stringify(payload));
    return true;
  }

  // Read marks and the tab title: a message that arrives while the page is in the background
  // counts in the title until the page is seen; a seen one is marked read on the server.
  var baseTitle = document.title;
  var unseen = 0;
  // A page that (re)connects in the background says so (?hidden=1): its history is not read
  // until the page is seen.
  var readOwed = false;
  function quietSend(payload) {
    if (!ws || ws.readyState !== WebSocket.OPEN || (role !== "buyer" && role !== "seller")) return false;
    ws.send(JSON.stringify(payload));
    return true;
  }
  function noteIncoming(msg) {
    if (msg.role === role) return;
    if (document.hidden) {
      unseen += 1;
      document.title = "(" + unseen + ") 새 메시지 · " + baseTitle;
    } else {
      quietSend({type: "read"});
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || (!unseen && !readOwed)) return;
    unseen = 0;
    document.title = baseTitle;
    if (quietSend({type: "read"})) readOwed = false;
  });
  var lastTypingSignal = 0;
  if (input && role === "buyer") {
    input.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSignal > 2500) { lastTypingSignal = now; quietSend({type: "typing"}); }
    });
  }

  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { showError("메시지를 입력해 주세요."); return; }
      if (send({type: "message", text: text})) setBusy(true); // the text stays until it is stored
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
  }

  if (dialog) {
    var priceInput = document.getElementById("offer-price");
    var offerError = document.getElementById("offer-error");
    var offerLeft = document.getElementById("offer-left");
    var digitsOf = function (value) { return String(value).replace(/[^0-9]/g, ""); };
    // Typed as people read money: 280,000.
    var withCommas = function (value) {
      var digits = digitsOf(value);
      return digits ? Number(digits).toLocaleString("ko-KR") : "";
    };
    priceInput.addEventListener("input", function () { priceInput.value = withCommas(priceInput.value); });
    offerOpen.addEventListener("click", function () {
      offerError.hidden = true;
      var left = state ? state.final_offers_left : null;
      if (offerLeft && left != null) {
        offerLeft.textContent = left <= 1
          ? "마지막 최종 제안이에요. 이 제안이 거절되면 협상이 끝나요."
          : "최종 제안은 " + left + "번 더 할 수 있어요. 마지막 제안까지 거절되면 협상이 끝나요.";
      }
      // Start from the bot's standing offer: the buyer's `##<price>##` is the price of the deal.
      if (!priceInput.value && state && state.bot_offer) priceInput.value = withCommas(state.bot_offer);
      if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
      priceInput.focus();
    });
    document.getElementById("offer-cancel").addEventListener("click", function () { dialog.close(); });
    document.getElementById("offer-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var price = parseInt(digitsOf(priceInput.value), 10);
      if (!price || price < 1 || price > listPrice) {
        offerError.textContent = "1원 이상 " + fmtWon(listPrice) + " 이하로 입력해 주세요.";
        offerError.hidden = false;
        return;
      }
      if (send({type: "offer", price: price})) { dialog.close(); priceInput.value = ""; }
    });
  }

  connect();
})();
