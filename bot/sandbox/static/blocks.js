// Block Kit as HTML: any surface (message, modal, App Home) is rendered from its blocks, so
// what the app sends shows as it made it, and its controls work. Blocks or elements this
// page does not know are shown as such, never dropped silently.
//
// ctx: { fmt: {people, channels, me, tz}, act(blockIndex, actionId, chosen), errors }

const { esc, textObject, plainText } = window.Mrkdwn;

function el(tag, attrs = {}, html = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  if (html) node.innerHTML = html;
  return node;
}

function optionsOf(element) {
  return element.options || (element.option_groups || []).flatMap((g) => g.options || []);
}

function unknown(what) {
  return el("div", { class: "bk-unknown" }, `[${esc(what)} is not shown in the sandbox]`);
}

// -- interactive elements -------------------------------------------------------------

function button(element, index, ctx) {
  const style = element.style ? ` ${element.style}` : "";
  return el("button", {
    type: "button", class: `bk-button${style}`, dataset: { actionId: element.action_id || "" },
    onclick: () => {
      if (element.url) window.open(element.url, "_blank", "noopener");
      ctx.act(index, element.action_id, null);
    },
  }, plainText(element.text));
}

function select(element, index, ctx, { input = false, overflow = false } = {}) {
  const node = el("select", {
    class: overflow ? "bk-overflow" : "bk-select", "aria-label": overflow ? "More options"
      : element.placeholder ? element.placeholder.text : "Choose",
    dataset: input ? { input: "1", actionId: element.action_id, type: element.type } : {},
  });
  const placeholder = overflow ? "⋯" : element.placeholder ? element.placeholder.text : "Select";
  node.append(el("option", { value: "", disabled: true, selected: !element.initial_option },
    esc(placeholder)));
  for (const option of optionsOf(element)) {
    const selected = element.initial_option && element.initial_option.value === option.value;
    node.append(el("option", { value: option.value, selected }, esc(option.text.text)));
  }
  if (!input || element.dispatch_action) {
    node.addEventListener("change", () => ctx.act(index, element.action_id, node.value));
  }
  return node;
}

// A users_select: the workspace's people (not bots, not other organisations'), as Slack's
// picker lists them.
function userSelect(element, index, ctx) {
  const people = Object.entries(ctx.fmt.people)
    .filter(([, p]) => !p.bot && !p.external)
    .map(([id, p]) => ({ value: id, text: { type: "plain_text", text: p.name } }));
  const initial = people.find((p) => p.value === element.initial_user);
  return select({ ...element, options: people, initial_option: initial }, index, ctx);
}

function choices(element, blockId, kind) {
  const box = el("div", { class: `bk-${kind}`, role: kind === "radio" ? "radiogroup" : "group",
    dataset: { input: "1", actionId: element.action_id, type: element.type } });
  const initial = element.initial_options || (element.initial_option ? [element.initial_option]
    : []);
  for (const [i, option] of optionsOf(element).entries()) {
    const id = `${blockId}-${element.action_id}-${i}`;
    const checked = initial.some((o) => o.value === option.value);
    const label = el("label", { class: "bk-choice", for: id });
    label.append(el("input", { type: kind, id, name: `${blockId}-${element.action_id}`,
      value: option.value, checked }));
    const text = el("span", {}, `<span class="bk-choice-text">${plainText(option.text)}</span>`);
    if (option.description) {
      text.append(el("span", { class: "bk-choice-hint" }, plainText(option.description)));
    }
    label.append(text);
    box.append(label);
  }
  return box;
}

function textInput(element, id) {
  const common = { id, dataset: { input: "1", actionId: element.action_id, type: element.type },
    placeholder: element.placeholder ? element.placeholder.text : undefined,
    maxlength: element.max_length, minlength: element.min_length };
  if (element.multiline) {
    const area = el("textarea", { ...common, rows: 4 });
    area.value = element.initial_value || "";
    return area;
  }
  const types = { email_text_input: "email", url_text_input: "url", number_input: "number",
    datepicker: "date", timepicker: "time" };
  const input = el("input", { ...common, type: types[element.type] || "text" });
  input.value = element.initial_value || element.initial_date || element.initial_time || "";
  return input;
}

function interactive(element, index, ctx, { blockId, input = false, id } = {}) {
  switch (element.type) {
    case "button": return button(element, index, ctx);
    case "static_select": return select(element, index, ctx, { input });
    case "overflow": return select(element, index, ctx, { overflow: true });
    case "users_select": return userSelect(element, index, ctx);
    case "radio_buttons": return choices(element, blockId, "radio");
    case "checkboxes": return choices(element, blockId, "checkbox");
    case "plain_text_input": case "email_text_input": case "url_text_input":
    case "number_input": case "datepicker": case "timepicker":
      return textInput(element, id);
    case "image": return el("span", { class: "bk-image" }, `🖼 ${esc(element.alt_text || "")}`);
    default: return unknown(`a ${element.type} element`);
  }
}

// -- blocks ---------------------------------------------------------------------------

function section(block, index, ctx) {
  const node = el("div", { class: "bk-section" });
  const body = el("div", { class: "bk-section-body" });
  if (block.text) body.append(el("div", { class: "bk-text" }, textObject(block.text, ctx.fmt)));
  if (block.fields) {
    const fields = el("div", { class: "bk-fields" });
    for (const field of block.fields) fields.append(el("div", {}, textObject(field, ctx.fmt)));
    body.append(fields);
  }
  node.append(body);
  if (block.accessory) {
    node.append(interactive(block.accessory, index, ctx, { blockId: block.block_id || `b${index}` }));
  }
  return node;
}

function context(block) {
  return block.elements.map((item) => item.type === "image"
    ? `<span class="bk-image">🖼</span>` : textObject(item, this.fmt)).join(" ");
}

function inputBlock(block, index, ctx) {
  const blockId = block.block_id || `b${index}`;
  const id = `input-${blockId}`;
  const node = el("div", { class: "bk-input", dataset: { blockId,
    options: JSON.stringify(optionsOf(block.element || {})) } });
  const optional = block.optional ? ` <span class="bk-optional">(optional)</span>` : "";
  node.append(el("label", { class: "bk-label", for: id }, plainText(block.label) + optional));
  const control = interactive(block.element, index, ctx, { blockId, input: true, id });
  if (control.tagName === "DIV" && control.getAttribute("role")) {
    control.setAttribute("aria-label", block.label.text);
  }
  node.append(control);
  if (block.hint) node.append(el("div", { class: "bk-hint" }, plainText(block.hint)));
  const error = (ctx.errors || {})[blockId];
  if (error) node.append(el("div", { class: "bk-error", role: "alert" }, esc(error)));
  return node;
}

// The words of a rich_text block (its styling is not shown).
function richText(node) {
  if (typeof node.text === "string") return node.text;
  if (node.type === "user") return `@${node.user_id}`;
  return (node.elements || []).map(richText).join("");
}

function renderBlock(block, index, ctx) {
  switch (block.type) {
    case "section": return section(block, index, ctx);
    case "header": return el("h3", { class: "bk-header" }, plainText(block.text));
    case "divider": return el("hr", { class: "bk-divider" });
    case "context":
      return el("div", { class: "bk-context" }, context.call(ctx, block));
    case "actions": {
      const node = el("div", { class: "bk-actions" });
      for (const element of block.elements || []) {
        node.append(interactive(element, index, ctx, { blockId: block.block_id || `b${index}` }));
      }
      return node;
    }
    case "input": return inputBlock(block, index, ctx);
    case "image":
      return el("div", { class: "bk-image" }, `🖼 ${esc(block.alt_text || "image")}`);
    case "rich_text":
      return el("div", { class: "bk-text" }, esc(richText(block)));
    default: return unknown(`a ${block.type} block`);
  }
}

function renderBlocks(blocks, ctx) {
  const node = el("div", { class: "bk-blocks" });
  (blocks || []).forEach((block, index) => node.append(renderBlock(block, index, ctx)));
  return node;
}

// The state of a surface's inputs, as Slack sends it: block_id -> action_id -> value.
function collectValues(root) {
  const values = {};
  for (const node of root.querySelectorAll("[data-input]")) {
    const block = node.closest("[data-block-id]");
    if (!block) continue;
    const { actionId, type } = node.dataset;
    let value;
    if (type === "radio_buttons" || type === "checkboxes" || type === "static_select") {
      const options = JSON.parse(node.closest(".bk-input").dataset.options || "[]");
      const chosen = type === "static_select" ? (node.value ? [node.value] : [])
        : [...node.querySelectorAll("input:checked")].map((i) => i.value);
      const picked = chosen.map((v) => options.find((o) => o.value === v)).filter(Boolean);
      value = type === "checkboxes" ? { type, selected_options: picked }
        : { type, selected_option: picked[0] || null };
    } else if (type === "datepicker") {
      value = { type, selected_date: node.value || null };
    } else if (type === "timepicker") {
      value = { type, selected_time: node.value || null };
    } else {
      value = { type, value: node.value === "" ? null : node.value };
    }
    values[block.dataset.blockId] = { ...(values[block.dataset.blockId] || {}),
      [actionId]: value };
  }
  return values;
}

// Put back what the visitor typed or chose (the modal was drawn again).
function restoreValues(root, values) {
  for (const node of root.querySelectorAll("[data-input]")) {
    const block = node.closest("[data-block-id]");
    const kept = block && (values[block.dataset.blockId] || {})[node.dataset.actionId];
    if (!kept) continue;
    if ("value" in kept) node.value = kept.value || "";
    else if ("selected_date" in kept) node.value = kept.selected_date || "";
    else if ("selected_time" in kept) node.value = kept.selected_time || "";
    const chosen = (kept.selected_options || [kept.selected_option]).filter(Boolean)
      .map((o) => o.value);
    if (node.tagName === "SELECT" && chosen.length) node.value = chosen[0];
    for (const box of node.querySelectorAll("input")) box.checked = chosen.includes(box.value);
  }
}

window.Blocks = { el, renderBlocks, collectValues, restoreValues, optionsOf };
