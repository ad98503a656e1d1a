"""The stand-in's ``views.*`` methods: modals opened with a single-use ``trigger_id``, a
stack of up to three, updates by id, and each person's App Home (``views.publish``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.sandbox.limits import view_error
from bot.sandbox.records import OpenView, Records

Answer = dict[str, Any]
STACK_MAX = 3


class ViewMethods(Records):
    def _shown(self, record: OpenView) -> Answer:
        """The view as Slack returns it: with its id, hash and (empty) state."""
        digest = hashlib.sha1(json.dumps(record.view, sort_keys=True).encode()).hexdigest()
        return {"view": {**record.view, "id": record.id, "hash": digest[:16],
                         "state": {"values": {}}}}

    def _new_view(self, user: str | None, view: dict[str, Any]) -> OpenView:
        record = OpenView("V" + self.next_ts().replace(".", ""), user, view)
        self.views[record.id] = record
        return record

    def _views_open(self, args: dict[str, Any]) -> Answer:
        return self._stacked(args, push=False)

    def _views_push(self, args: dict[str, Any]) -> Answer:
        return self._stacked(args, push=True)

    def _stacked(self, args: dict[str, Any], *, push: bool) -> Answer:
        """A modal opened on a person's screen (``views.open``), or on top of theirs
        (``views.push``, up to ``STACK_MAX``)."""
        user, error = self.exchange(str(args.get("trigger_id", "")))
        if error:
            return {"ok": False, "error": error}
        stack = self.modals.get(user or "", []) if push else []
        if push and user is not None and len(stack) >= STACK_MAX:
            return {"ok": False, "error": "push_limit_reached"}
        view = args.get("view")
        refused = view_error(view)
        if refused:
            return refused
        assert isinstance(view, dict)
        record = self._new_view(user, view)
        if user is not None:
            self.modals[user] = [*stack, record.id]
        return self._shown(record)

    def _views_update(self, args: dict[str, Any]) -> Answer:
        view_id = args.get("view_id")
        if not view_id:
            view_id = next((v.id for v in self.views.values()
                            if args.get("external_id")
                            and v.view.get("external_id") == args.get("external_id")), None)
        view = args.get("view")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        refused = view_error(view)
        if refused:
            return refused
        assert isinstance(view, dict)
        record = self.views[str(view_id)]
        record.view, record.errors = view, {}
        return self._shown(record)

    def _views_publish(self, args: dict[str, Any]) -> Answer:
        user = str(args.get("user_id", ""))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        view = args.get("view")
        refused = view_error(view)
        if refused:
            return refused
        assert isinstance(view, dict)
        if view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments",
                    "response_metadata": {"messages": ["view.type: must be home"]}}
        self.homes[user] = view
        return self._shown(OpenView("H" + user, user, view))

    # -- what a person's screen does with the modals (the sandbox's page) ------------------

    def top_modal(self, user: str) -> OpenView | None:
        stack = self.modals.get(user)
        return self.views.get(stack[-1]) if stack else None

    def close_modal(self, user: str, *, all_of_them: bool = False) -> None:
        stack = self.modals.get(user, [])
        for view_id in (stack if all_of_them else stack[-1:]):
            self.views.pop(view_id, None)
        self.modals[user] = [] if all_of_them else stack[:-1]
