// The main pane (a channel, App Home or a mailbox), the thread beside it, and the modal
// on top: messages with their blocks, reactions, replies and the message's actions.

const { el: h, renderBlocks, collectValues, restoreValues } = window.Blocks;
const { esc: e, mrkdwn } = window.Mrkdwn;
const REACTIONS = [["ticket", "🎫"], ["eyes", "👀"], ["white_check_mark", "✅"]];
let drawnModal = null;

function initials(name) {
  return name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase();
}

function clockTime(ts, tz) {
  return new Intl.DateTimeFormat("en-US", { timeZone: tz, hour: "numeric", minute: "2-digit" })
    .format(new Date(Number(ts) * 1000));
}

function tools(S, channel, m) {
  const { api, go } = window.App;
  const box = h("div", { class: "msg-tools" });
  box.append(h("button", { type: "button", title: "Add :ticket: reaction",
    "aria-label": "Add :ticket: reaction",
    onclick: () => api("react", { channel, ts: m.ts, name: "ticket" }) }, "🎫"));
  if (!m.thread_ts || m.thread_ts === m.ts) {
    box.append(h("button", { type: "button", title: "Reply in thread",
      "aria-label": "Reply in thread", onclick: () => go({ thread: m.ts }) }, "💬"));
  }
  if (S.data.shortcuts.length) {
    const menu = h("select", { class: "msg-more", "aria-label": "More actions" });
    menu.append(h("option", { value: "", selected: true, disabled: true }, "⋯"));
    for (const s of S.data.shortcuts) menu.append(h("option", { value: s.callback_id }, e(s.name)));
    menu.addEventListener("change", () => api("shortcut", { channel, ts: m.ts,
      callback_id: menu.value }));
    box.append(menu);
  }
  return box;
}

function reactions(channel, m) {
  const { api } = window.App;
  const box = h("div", { class: "reactions" });
  for (const r of m.reactions) {
    const face = (REACTIONS.find(([name]) => name === r.name) || [])[1] || `:${r.name}:`;
    box.append(h("button", { type: "button", class: "reaction", title: `:${r.name}:`,
      onclick: () => api("react", { channel, ts: m.ts, name: r.name }) },
    `${face} ${r.users.length}`));
  }
  return box;
}

function message(S, fmt, channel, m, { inThread = false } = {}) {
  const { api, go, toast } = window.App;
  const who = S.data.people[m.user] || { name: m.user };
  const name = m.username || who.name;
  const node = h("div", { class: `msg${m.ephemeral ? " ephemeral" : ""}`, dataset: { ts: m.ts } });
  node.append(h("div", { class: `avatar${who.bot ? " bot" : ""}` }, e(initials(name))));
  const main = h("div", { class: "msg-main" });
  const tags = (who.bot && !m.username ? ' <span class="tag">APP</span>' : "") +
    (who.external ? ` <span class="tag ext">${e(who.org || "")}</span>` : "");
  main.append(h("div", { class: "msg-head" }, `<b class="author">${e(name)}</b>${tags} ` +
    `<span class="msg-time">${e(clockTime(m.ts, fmt.tz))}</span>` +
    (m.edited ? ' <span class="edited">(edited)</span>' : "")));
  const act = m.ephemeral ? () => toast("Buttons on ephemeral messages are not in the sandbox.")
    : (block, action_id, chosen) => api("click", { channel, ts: m.ts, block, action_id, chosen });
  main.append(m.blocks && m.blocks.length ? renderBlocks(m.blocks, { fmt, act })
    : h("div", { class: "bk-text" }, mrkdwn(m.text, fmt)));
  if (m.ephemeral) main.append(h("div", { class: "only-you" }, "Only visible to you"));
  if (m.reactions.length) main.append(reactions(channel, m));
  if (!inThread && m.replies) {
    main.append(h("button", { type: "button", class: "replies", onclick: () => go({ thread: m.ts }) },
      `${m.replies} ${m.replies === 1 ? "reply" : "replies"}`));
  }
  node.append(main);
  if (!m.ephemeral) node.append(tools(S, channel, m));
  return node;
}

function keepBottom(list, draw) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const top = list.scrollTop;
  draw();
  list.scrollTop = atBottom ? list.scrollHeight : top;
}

function composer(form, input, send) {
  form.onsubmit = (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  };
  input.onkeydown = (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  };
}

function drawChannel(S, here, fmt) {
  const { api } = window.App;
  const channel = S.data.channels.find((c) => c.id === here.channel) || S.data.channels[0];
  here.channel = channel.id;
  const title = channel.kind === "dm" ? `💬 ${e(channel.name)}` : `# ${e(channel.name)}`;
  const note = channel.shared
    ? `<span class="head-note">Shared with ${e(channel.org || "")}</span>` : "";
  document.getElementById("pane-head").innerHTML = `<h2>${title}</h2>${note}`;
  const list = document.getElementById("messages");
  const top = S.data.conversations[channel.id].messages.filter((m) => !m.thread_ts ||
    m.thread_ts === m.ts);
  if (window.App.unchanged("pane", S.me, channel.id, top, S.data.shortcuts)) return;
  keepBottom(list, () => list.replaceChildren(...top.map((m) => message(S, fmt, channel.id, m))));
  const form = document.getElementById("composer");
  const input = document.getElementById("compose");
  form.hidden = false;
  input.placeholder = `Message ${channel.kind === "dm" ? channel.name : `#${channel.name}`}` +
    (S.data.commands.length ? " (or /ticket)" : "");
  composer(form, input, (text) => api(text.startsWith("/") ? "command" : "write",
    { channel: channel.id, text }));
}

function drawThread(S, here, fmt) {
  const { api, go } = window.App;
  const pane = document.getElementById("thread");
  const all = here.view === "channel" ? S.data.conversations[here.channel].messages : [];
  const parent = all.find((m) => m.ts === here.thread);
  pane.hidden = !parent;
  if (!parent) {
    window.App.unchanged("thread", null);
    return;
  }
  const replies = all.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  if (window.App.unchanged("thread", S.me, here.channel, parent, replies)) return;
  const list = document.getElementById("thread-messages");
  keepBottom(list, () => list.replaceChildren(message(S, fmt, here.channel, parent,
    { inThread: true }), h("div", { class: "thread-count" }, `${replies.length} ` +
    `${replies.length === 1 ? "reply" : "replies"}`),
  ...replies.map((m) => message(S, fmt, here.channel, m, { inThread: true }))));
  document.getElementById("close-thread").onclick = () => go({ thread: null });
  composer(document.getElementById("reply"), document.getElementById("reply-text"),
    (text) => api("write", { channel: here.channel, text, thread_ts: parent.ts }));
}

function drawHome(S, fmt) {
  const { api } = window.App;
  document.getElementById("pane-head").innerHTML = "<h2>🏠 Support Desk</h2>" +
    '<span class="head-note">App Home</span>';
  document.getElementById("composer").hidden = true;
  const list = document.getElementById("messages");
  const view = S.data.home;
  if (window.App.unchanged("pane", S.me, "home", view)) return;
  if (!view) {
    list.replaceChildren(h("div", { class: "empty" }, "Support Desk has not published a Home " +
      "tab for you yet."));
    return;
  }
  const body = renderBlocks(view.blocks, { fmt, act: (block, action_id, chosen) =>
    api("view_click", { view_id: `H${S.me}`, block, action_id, chosen,
      values: collectValues(body) }) });
  list.replaceChildren(h("div", { class: "home", dataset: { blockId: "home" } }, ""));
  list.firstChild.append(body);
}

// A mailbox as a mail program shows it: each email thread (by its first Message-ID), the
// latest first, its emails in order; a client writes to the support address, a new email
// or a reply to one of the desk's emails to her.
let replying = null;
let composing = null;

function threads(mails) {
  const found = new Map();
  for (const m of mails) {
    if (!found.has(m.thread)) found.set(m.thread, []);
    found.get(m.thread).push(m);
  }
  return [...found.values()].sort((a, b) => b[b.length - 1].at - a[a.length - 1].at);
}

function replyTo(m) {
  replying = m;
  const note = document.getElementById("mail-replying");
  note.hidden = false;
  note.firstChild.textContent = `Replying to “${m.subject}”`;
  const subject = document.getElementById("mail-subject");
  subject.value = /^re:/i.test(m.subject) ? m.subject : `Re: ${m.subject}`;
  document.getElementById("mail-text").focus();
}

function newEmail() {
  replying = null;
  document.getElementById("mail-replying").hidden = true;
}

function drawCompose(S, shown) {
  const { api } = window.App;
  const form = document.getElementById("mail-compose");
  const box = S.data.mail;
  form.hidden = !(shown && box && box.write_to);
  if (form.hidden) return;
  if (composing !== S.me) {  // another person: not their draft, not their reply
    composing = S.me;
    form.reset();
    newEmail();
  }
  document.getElementById("mail-from").value = box.address;
  document.getElementById("mail-to").value = box.write_to;
  document.getElementById("mail-unreply").onclick = newEmail;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const subject = document.getElementById("mail-subject");
    const text = document.getElementById("mail-text");
    const sent = await api("email", { subject: subject.value, text: text.value,
      in_reply_to: replying ? replying.id : null });
    if (sent) {
      subject.value = "";
      text.value = "";
      newEmail();
    }
  };
}

function mailNode(S, m) {
  const mine = S.data.mail.write_to && m.from.includes(S.data.mail.address);
  const node = h("article", { class: `mail${mine ? " sent" : ""}`, dataset: { id: m.id } },
    `<div class="mail-subject">${e(m.subject)}</div><div class="mail-meta">From ${e(m.from)} ` +
    `to ${e(m.to.join(", "))} · ${e(new Date(m.at * 1000).toLocaleString("en-US",
      { timeZone: S.data.me.tz }))}</div><pre class="mail-body">${e(m.body)}</pre>`);
  if (S.data.mail.write_to && !mine) {
    node.append(h("button", { type: "button", class: "bk-button", onclick: () => replyTo(m) },
      "Reply"));
  }
  return node;
}

function drawMail(S) {
  document.getElementById("pane-head").innerHTML = "<h2>✉️ Mailbox</h2>" +
    `<span class="head-note">${e(S.data.me.name)}'s email, ${e(S.data.mail.address)}</span>`;
  document.getElementById("composer").hidden = true;
  const list = document.getElementById("messages");
  const mails = S.data.mail.mails;
  if (window.App.unchanged("pane", S.me, "mail", mails)) return;
  list.replaceChildren(...(mails.length ? threads(mails).map((thread) => {
    const section = h("section", { class: "mail-thread", dataset: { thread: thread[0].thread } },
      `<div class="mail-thread-head">${thread.length} ` +
      `${thread.length === 1 ? "email" : "emails"}</div>`);
    section.append(...thread.map((m) => mailNode(S, m)));
    return section;
  }) : [h("div", { class: "empty" }, "No email yet.")]));
}

function drawModal(S, fmt) {
  const { api } = window.App;
  const layer = document.getElementById("modal-layer");
  const modal = S.data.modal;
  const signature = modal && JSON.stringify([modal.id, modal.view, modal.errors]);
  if (signature === drawnModal) return;
  const kept = modal && layer.dataset.viewId === modal.id ? collectValues(layer) : null;
  drawnModal = signature;
  layer.hidden = !modal;
  layer.dataset.viewId = modal ? modal.id : "";
  if (!modal) { layer.replaceChildren(); return; }
  const { view, errors } = modal;
  const dialog = h("div", { class: "modal", role: "dialog", "aria-modal": "true",
    "aria-label": view.title ? view.title.text : "Modal" });
  const values = () => collectValues(dialog);
  const close = () => api("close", { view_id: modal.id, values: values() });
  dialog.append(h("div", { class: "modal-head" }, `<h3>${e(view.title ? view.title.text : "")}</h3>`));
  dialog.firstChild.append(h("button", { type: "button", class: "modal-x", "aria-label": "Close",
    onclick: close }, "✕"));
  if (errors[""]) dialog.append(h("div", { class: "bk-error", role: "alert" }, e(errors[""])));
  dialog.append(h("div", { class: "modal-body" }, ""));
  dialog.lastChild.append(renderBlocks(view.blocks, { fmt, errors, act: (block, action_id,
    chosen) => api("view_click", { view_id: modal.id, block, action_id, chosen,
    values: values() }) }));
  const foot = h("div", { class: "modal-foot" });
  foot.append(h("button", { type: "button", class: "bk-button", onclick: close },
    e(view.close ? view.close.text : view.submit ? "Cancel" : "Close")));
  if (view.submit) {
    foot.append(h("button", { type: "button", class: "bk-button primary",
      onclick: () => api("submit", { view_id: modal.id, values: values() }) },
    e(view.submit.text)));
  }
  dialog.append(foot);
  layer.replaceChildren(dialog);
  if (kept) restoreValues(dialog, kept);
}

function draw(S, here, fmt) {
  const mail = here.view === "mail" && !!S.data.mail;
  drawCompose(S, mail);
  if (here.view === "home") drawHome(S, fmt);
  else if (mail) drawMail(S);
  else {
    here.view = "channel";
    drawChannel(S, here, fmt);
  }
  drawThread(S, here, fmt);
  drawModal(S, fmt);
}

window.Pane = { draw };
