// The sandbox page: who you are, where you are, and the state the sandbox sends. Every
// change on the server comes as a server-sent event; the page then fetches what the
// current person sees and draws it again (pane.js draws channels, threads and modals).

const { el } = window.Blocks;
const { esc } = window.Mrkdwn;

const S = {
  me: new URLSearchParams(location.search).get("as") || localStorage.getItem("persona"),
  data: null,
  places: JSON.parse(localStorage.getItem("places") || "{}"),
  seen: {},
  skew: 0,
  fetching: false,
  again: false,
};

// Whether a region would be drawn as it already is (then it is left alone: a click on it
// is never lost to a redraw).
const drawn = {};
function unchanged(region, ...inputs) {
  const signature = JSON.stringify(inputs);
  if (drawn[region] === signature) return true;
  drawn[region] = signature;
  return false;
}

function place() {
  const known = S.places[S.me];
  if (known && known.view === "channel" && !S.data.channels.some((c) => c.id === known.channel)) {
    delete S.places[S.me];
  }
  if (!S.places[S.me]) {
    const first = S.data.channels.find((c) => c.name === "support-triage") || S.data.channels[0];
    S.places[S.me] = { view: "channel", channel: first.id, thread: null };
  }
  return S.places[S.me];
}

function go(changes) {
  Object.assign(place(), changes);
  localStorage.setItem("places", JSON.stringify(S.places));
  if (changes.view === "home") api("home", {});
  render();
}

function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 6000);
}

async function api(kind, body) {
  const response = await fetch("/api/do", { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind, as: S.me, ...body }) });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    toast(answer.error || "That did not go through.");
  }
  refresh();
  return response.ok;
}

async function refresh() {
  if (S.fetching) { S.again = true; return; }
  S.fetching = true;
  try {
    do {
      S.again = false;
      const asked = S.me;
      const response = await fetch(`/api/state?as=${encodeURIComponent(asked || "")}`);
      const data = response.ok ? await response.json() : null;
      // The person was changed while this was on its way (its body too): fetch again for
      // the new one.
      if (S.me !== asked) { S.again = true; continue; }
      if (!response.ok) {
        // Someone this sandbox does not have (an old link, an old visit): be the first
        // visit's person (the server's choice) instead.
        if (S.me) {
          S.me = null;
          S.again = true;
        } else {
          toast("The sandbox did not answer: is it still running?");
        }
        continue;
      }
      S.data = data;
      S.me = S.data.me.id;
      S.skew = S.data.now - Date.now() / 1000;
      render();
    } while (S.again);
  } finally {
    S.fetching = false;
  }
}

function fmt() {
  const channels = {};
  for (const c of S.data.channels) channels[c.id] = c;
  return { people: S.data.people, channels, me: S.me, tz: S.data.me.tz };
}

// -- unread counts --------------------------------------------------------------------

function latest(channel) {
  const all = S.data.conversations[channel].messages;
  return all.length ? all[all.length - 1].ts : "0";
}

function unread(channel) {
  const seen = (S.seen[S.me] || {})[channel];
  if (seen === undefined) return 0;
  return S.data.conversations[channel].messages.filter((m) => m.ts > seen && m.user !== S.me)
    .length;
}

function markSeen() {
  const seen = S.seen[S.me] = S.seen[S.me] || {};
  for (const c of S.data.channels) {
    if (seen[c.id] === undefined) seen[c.id] = latest(c.id);
  }
  const here = place();
  if (here.view === "channel") seen[here.channel] = latest(here.channel);
}

// -- drawing --------------------------------------------------------------------------

function drawPersonas() {
  if (unchanged("personas", S.me, S.data.personas)) return;
  const chooser = document.getElementById("persona");
  chooser.replaceChildren(...S.data.personas.map((p) => el("option",
    { value: p.id, selected: p.id === S.me }, `${esc(p.name)} — ${esc(p.role)}`)));
  document.getElementById("whoami").textContent = S.data.me.external
    ? `another organisation: ${S.data.me.org}` : `${S.data.workspace}, ${S.data.me.tz}`;
}

function sideItem(label, active, count, onclick, extra = {}) {
  const badge = count ? `<span class="badge">${count}</span>` : "";
  return el("button", { type: "button", class: `side-item${active ? " active" : ""}`,
    onclick, ...extra }, `<span>${label}</span>${badge}`);
}

function drawSidebar() {
  const here = place();
  const counts = S.data.channels.map((c) => unread(c.id));
  const mails = S.data.mail ? S.data.mail.mails.length : -1;
  if (unchanged("sidebar", S.me, here, S.data.channels, counts, mails)) return;
  const items = [el("div", { class: "side-title" }, "Channels")];
  const dms = [el("div", { class: "side-title" }, "Direct messages")];
  for (const c of S.data.channels) {
    const active = here.view === "channel" && here.channel === c.id;
    const label = c.kind === "dm" ? `💬 ${esc(c.name)}`
      : `# ${esc(c.name)}${c.shared
        ? ` <span class="shared" title="Shared with ${esc(c.org || "")}">⇄</span>` : ""}`;
    const item = sideItem(label, active, unread(c.id), () => go({ view: "channel",
      channel: c.id, thread: null }), { dataset: { channel: c.id } });
    (c.kind === "dm" ? dms : items).push(item);
  }
  const apps = [el("div", { class: "side-title" }, "Apps"),
    sideItem("🏠 Support Desk · Home", here.view === "home", 0, () => go({ view: "home" }))];
  if (S.data.mail) {
    apps.push(el("div", { class: "side-title" }, "Email"),
      sideItem(`✉️ Mailbox`, here.view === "mail", mails,
        () => go({ view: "mail" })));
  }
  document.getElementById("sidebar").replaceChildren(...items, ...dms, ...apps);
}

function countdown(due) {
  const left = Math.round(due - (Date.now() / 1000 + S.skew));
  if (left <= 0) return "due now";
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = String(left % 60).padStart(2, "0");
  return hours ? `in ${hours} h ${minutes} min` : `in ${minutes}:${seconds}`;
}

function drawClocks() {
  const box = document.getElementById("clocks");
  const reminders = S.data.reminders;
  if (unchanged("clocks", reminders)) return;
  if (!reminders.length) {
    box.replaceChildren(el("span", { class: "clock idle" }, "No reminder pending"));
    return;
  }
  box.replaceChildren(el("span", { class: "clocks-title" }, "Next reminders"),
    ...reminders.map((r) => el("span", { class: "clock", dataset: { ticket: r.ticket } },
      `<b>${esc(r.ticket)}</b> ${esc(r.what)} <span class="countdown" data-due="${r.due}">` +
      `${countdown(r.due)}</span>`)));
}

function tick() {
  for (const node of document.querySelectorAll(".countdown")) {
    node.textContent = countdown(Number(node.dataset.due));
  }
}

function render() {
  if (!S.data) return;
  localStorage.setItem("persona", S.me);
  markSeen();
  drawPersonas();
  drawSidebar();
  drawClocks();
  window.Pane.draw(S, place(), fmt());
}

function start() {
  document.getElementById("persona").addEventListener("change", (event) => {
    // Until the new person's state arrives, nothing of the previous person's stays
    // clickable: a click on their sidebar would land in a place the new person lacks.
    S.me = event.target.value;
    S.data = null;
    for (const region of Object.keys(drawn)) delete drawn[region];
    for (const region of ["sidebar", "messages", "thread-messages"]) {
      document.getElementById(region).replaceChildren();
    }
    refresh();
  });
  document.addEventListener("click", (event) => {
    const target = event.target.closest("a.channel-link, a.permalink");
    if (!target) return;
    event.preventDefault();
    if (!S.data) return;
    const channel = target.dataset.channel;
    if (!S.data.channels.some((c) => c.id === channel)) {
      toast("You are not in that channel.");
      return;
    }
    go({ view: "channel", channel, thread: target.dataset.thread || null });
  });
  const stream = new EventSource("/api/stream");
  stream.onmessage = () => refresh();
  stream.onerror = () => toast("The sandbox is not answering: is it still running?");
  setInterval(tick, 1000);
  refresh();
}

window.App = { api, go, toast, unchanged, S };
document.addEventListener("DOMContentLoaded", start);
