// Slack's mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes,
// mentions, channel links, links, emoji and <!date^...> in the viewer's timezone.
// Every piece of text is escaped here: nothing the app or a person writes becomes markup.

const EMOJI = {
  ticket: "🎫", rotating_light: "🚨", hourglass_flowing_sand: "⏳", speech_balloon: "💬",
  warning: "⚠️", white_check_mark: "✅", heavy_check_mark: "✔️", eyes: "👀", "+1": "👍",
  thumbsup: "👍", tada: "🎉", wave: "👋", fire: "🔥", pushpin: "📌", x: "❌", email: "📧",
  bell: "🔔", mag: "🔍", rocket: "🚀", hourglass: "⌛", telephone_receiver: "📞",
  information_source: "ℹ️", star: "⭐", sos: "🆘", lock: "🔒", memo: "📝",
};

function esc(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function unslack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emoji(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) =>
    EMOJI[name] ? `<span class="emoji" title=":${name}:">${EMOJI[name]}</span>` : whole);
}

function dayKey(date, tz) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit",
    day: "2-digit" }).format(date);
}

function formatDate(epoch, format, tz) {
  const date = new Date(epoch * 1000);
  const f = (options) => new Intl.DateTimeFormat("en-US", { timeZone: tz, ...options })
    .format(date);
  const days = (Date.parse(dayKey(date, tz)) - Date.parse(dayKey(new Date(), tz))) / 864e5;
  const pretty = (plain) => ({ "-1": "yesterday", 0: "today", 1: "tomorrow" })[days] || plain;
  const parts = {
    date_num: dayKey(date, tz),
    date: f({ month: "long", day: "numeric", year: "numeric" }),
    date_short: f({ month: "short", day: "numeric", year: "numeric" }),
    date_long: f({ weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    time: f({ hour: "numeric", minute: "2-digit" }),
    time_secs: f({ hour: "numeric", minute: "2-digit", second: "2-digit" }),
  };
  parts.date_pretty = pretty(parts.date);
  parts.date_short_pretty = pretty(parts.date_short);
  parts.date_long_pretty = pretty(parts.date_long);
  return format.replace(/\{(\w+)\}/g, (whole, key) => parts[key] ?? whole);
}

// A permalink of the workspace (…/archives/C…/p1700000000000100): where it points.
function permalink(url) {
  const found = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/.exec(url);
  if (!found) return null;
  const thread = /thread_ts=([0-9.]+)/.exec(url);
  return { channel: found[1], ts: `${found[2]}.${found[3]}`, thread: thread && thread[1] };
}

function link(url, label) {
  const target = permalink(url);
  if (target) {
    return `<a href="#" class="permalink" data-channel="${esc(target.channel)}" ` +
      `data-ts="${esc(target.ts)}" data-thread="${esc(target.thread || "")}">${esc(label)}</a>`;
  }
  if (/^mailto:/.test(url)) return `<a href="${esc(url)}">${esc(label)}</a>`;
  if (!/^https?:\/\//.test(url)) return esc(label);
  return `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(label)}</a>`;
}

function token(inner, ctx) {
  const bar = inner.indexOf("|");
  const head = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? null : unslack(inner.slice(bar + 1));
  if (head.startsWith("@")) {
    const id = head.slice(1);
    const person = ctx.people[id];
    const mine = id === ctx.me ? " me" : "";
    return `<span class="mention${mine}" data-user="${esc(id)}">@` +
      `${esc(person ? person.name : label || id)}</span>`;
  }
  if (head.startsWith("#")) {
    const id = head.slice(1);
    const channel = ctx.channels[id];
    return `<a href="#" class="channel-link" data-channel="${esc(id)}">#` +
      `${esc(channel ? channel.name : label || id)}</a>`;
  }
  if (head.startsWith("!date^")) {
    const [, epoch, format, url] = head.split("^");
    const shown = /^\d+$/.test(epoch) ? formatDate(Number(epoch), unslack(format), ctx.tz)
      : label || "";
    const time = `<time class="slack-date" data-epoch="${esc(epoch)}" title="${esc(label || "")}">` +
      `${esc(shown)}</time>`;
    return url ? `<a href="${esc(url)}" target="_blank" rel="noopener">${time}</a>` : time;
  }
  if (head.startsWith("!subteam^")) return `<span class="mention">@${esc(label || "group")}</span>`;
  if (head.startsWith("!")) {
    const name = head.slice(1);
    return ["channel", "here", "everyone"].includes(name)
      ? `<span class="mention broadcast">@${esc(name)}</span>` : esc(label || name);
  }
  const url = unslack(head);
  return link(url, label ?? url);
}

function inline(text, ctx) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let out = text.replace(/`([^`\n]+)`/g, (w, code) => hold(`<code>${esc(unslack(code))}</code>`));
  out = out.replace(/<([^<>\n]+)>/g, (w, inner) => hold(token(inner, ctx)));
  out = emoji(esc(unslack(out)));
  const style = (mark, tag) => {
    const m = mark === "*" ? "\\*" : mark;
    const pattern = new RegExp(`(^|[^\\w${m}])${m}(?!\\s)([^${m}\\n]+?)(?<!\\s)${m}(?![\\w${m}])`,
      "g");
    out = out.replace(pattern, (w, before, body) => `${before}<${tag}>${body}</${tag}>`);
  };
  style("*", "b");
  style("_", "i");
  style("~", "s");
  return out.replace(/\u0000(\d+)\u0000/g, (w, i) => held[Number(i)]);
}

function lines(text, ctx) {
  const out = [];
  let quote = [];
  const flush = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
    quote = [];
  };
  for (const line of text.split("\n")) {
    const quoted = /^(&gt;|>) ?(.*)$/.exec(line);
    if (quoted) {
      quote.push(inline(quoted[2], ctx));
    } else {
      flush();
      out.push(inline(line, ctx));
    }
  }
  flush();
  return out.join("<br>").replace(/<br>(<blockquote>)/g, "$1").replace(/(<\/blockquote>)<br>/g, "$1");
}

// mrkdwn text as HTML.
function mrkdwn(text, ctx) {
  return String(text || "").split(/```/).map((part, i) =>
    i % 2 ? `<pre>${esc(unslack(part.replace(/^\n/, "")))}</pre>` : lines(part, ctx)).join("");
}

// plain_text as HTML (with :emoji: when the text object asks for it).
function plainText(obj) {
  if (!obj) return "";
  const html = esc(obj.text || "").replace(/\n/g, "<br>");
  return obj.emoji === false ? html : emoji(html);
}

// A text object, whichever kind it is.
function textObject(obj, ctx) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, ctx) : plainText(obj);
}

window.Mrkdwn = { esc, mrkdwn, plainText, textObject, formatDate, permalink };
