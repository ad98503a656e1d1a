"""Block Kit's limits, as Slack enforces them: what it refuses, and why.

Slack answers a message or view that breaks one with ``ok: false`` (``invalid_blocks``,
``msg_too_long``, ``invalid_arguments``) and says which rule in
``response_metadata.messages``; the stand-in does the same, so a limit the app forgets
fails in the tests and in the sandbox as it would in Slack. Lengths are counted in UTF-16
code units, an emoji two, as Slack may count them (``bot.slack_ui.ids`` says why).
"""

from __future__ import annotations

from typing import Any


def _length(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_MAX = 40_000
TEXT_LIMITS = {"section": 3000, "context": 3000, "header": 150, "field": 2000, "label": 2000,
               "hint": 2000, "placeholder": 150, "button": 75, "option": 75,
               "option_description": 75, "title": 24, "submit": 24, "close": 24}
ID_MAX = 255
VALUE_MAX = {"button": 2000, "option": 150}
PRIVATE_METADATA_MAX = 3000
ELEMENTS_MAX = {"actions": 25, "context": 10}
OPTIONS_MAX = 100
INPUT_MAX_LENGTH = 3000


def _text(obj: Any, kind: str, where: str, problems: list[str]) -> None:
    if obj is None:
        return
    text = obj.get("text") if isinstance(obj, dict) else None
    if not isinstance(text, str):
        problems.append(f"{where}: a text object needs its text")
    elif _length(text) > TEXT_LIMITS[kind]:
        problems.append(f"{where}: must be at most {TEXT_LIMITS[kind]} characters "
                        f"(it has {_length(text)})")


def _id(value: Any, name: str, where: str, problems: list[str]) -> None:
    if isinstance(value, str) and _length(value) > ID_MAX:
        problems.append(f"{where}: {name} must be at most {ID_MAX} characters")


def _options(element: dict[str, Any], where: str, problems: list[str]) -> None:
    options = element.get("options") or []
    if len(options) > OPTIONS_MAX:
        problems.append(f"{where}: at most {OPTIONS_MAX} options")
    for i, option in enumerate(options):
        _text(option.get("text"), "option", f"{where}.options[{i}].text", problems)
        _text(option.get("description"), "option_description",
              f"{where}.options[{i}].description", problems)
        value = option.get("value")
        if isinstance(value, str) and _length(value) > VALUE_MAX["option"]:
            problems.append(f"{where}.options[{i}].value: must be at most "
                            f"{VALUE_MAX['option']} characters")


def _element(element: Any, where: str, problems: list[str]) -> None:
    if not isinstance(element, dict):
        problems.append(f"{where}: must be an object")
        return
    kind = element.get("type")
    _id(element.get("action_id"), "action_id", where, problems)
    if kind == "button":
        _text(element.get("text"), "button", f"{where}.text", problems)
        value = element.get("value")
        if isinstance(value, str) and _length(value) > VALUE_MAX["button"]:
            problems.append(f"{where}.value: must be at most {VALUE_MAX['button']} characters")
    if "placeholder" in element:
        _text(element["placeholder"], "placeholder", f"{where}.placeholder", problems)
    if "options" in element:
        _options(element, where, problems)
    max_length = element.get("max_length")
    if isinstance(max_length, int) and max_length > INPUT_MAX_LENGTH:
        problems.append(f"{where}.max_length: must be at most {INPUT_MAX_LENGTH}")


def _block(block: Any, where: str, problems: list[str]) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        problems.append(f"{where}: a block needs its type")
        return
    kind = block["type"]
    _id(block.get("block_id"), "block_id", where, problems)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        _text(block.get("text"), "section", f"{where}.text", problems)
        for i, item in enumerate(block.get("fields") or []):
            _text(item, "field", f"{where}.fields[{i}]", problems)
        if "accessory" in block:
            _element(block["accessory"], f"{where}.accessory", problems)
    elif kind == "header":
        _text(block.get("text"), "header", f"{where}.text", problems)
    elif kind in ELEMENTS_MAX:
        elements = block.get("elements") or []
        if len(elements) > ELEMENTS_MAX[kind]:
            problems.append(f"{where}: at most {ELEMENTS_MAX[kind]} elements")
        for i, element in enumerate(elements):
            if kind == "actions":
                _element(element, f"{where}.elements[{i}]", problems)
            elif isinstance(element, dict) and element.get("type") != "image":
                _text(element, "context", f"{where}.elements[{i}]", problems)
    elif kind == "input":
        _text(block.get("label"), "label", f"{where}.label", problems)
        _text(block.get("hint"), "hint", f"{where}.hint", problems)
        _element(block.get("element"), f"{where}.element", problems)


def blocks_problems(blocks: Any, most: int) -> list[str]:
    """What is wrong with ``blocks`` for a surface that takes at most ``most``."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return ["blocks: must be a list"]
    problems: list[str] = []
    if len(blocks) > most:
        problems.append(f"blocks: at most {most} (there are {len(blocks)})")
    for i, block in enumerate(blocks):
        _block(block, f"blocks[{i}]", problems)
    return problems


def message_error(args: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's refusal of a ``chat.postMessage``/``update``, or None when it is fine."""
    text, blocks = args.get("text"), args.get("blocks")
    if not text and not blocks:
        return {"ok": False, "error": "no_text"}
    if isinstance(text, str) and _length(text) > TEXT_MAX:
        return {"ok": False, "error": "msg_too_long"}
    problems = blocks_problems(blocks, MESSAGE_BLOCKS)
    if problems:
        return {"ok": False, "error": "invalid_blocks",
                "response_metadata": {"messages": problems}}
    return None


def view_error(view: Any) -> dict[str, Any] | None:
    """Slack's refusal of a view (``views.open``/``push``/``update``/``publish``), or None."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return {"ok": False, "error": "invalid_arguments",
                "response_metadata": {"messages": ["view: type must be modal or home"]}}
    problems = blocks_problems(view.get("blocks"), VIEW_BLOCKS)
    for part in ("title", "submit", "close"):
        if part in view:
            _text(view[part], part, f"view.{part}", problems)
    if view["type"] == "modal" and "title" not in view:
        problems.append("view.title: a modal needs a title")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and _length(metadata) > PRIVATE_METADATA_MAX:
        problems.append(f"view.private_metadata: must be at most {PRIVATE_METADATA_MAX} "
                        "characters")
    _id(view.get("callback_id"), "callback_id", "view", problems)
    if problems:
        return {"ok": False, "error": "invalid_arguments",
                "response_metadata": {"messages": problems}}
    return None
