"""The sandbox's page in a real browser (Debian's headless Chromium, driven by Playwright):
a ticket from intake to claim and first response, and another one to its warning and
breach, seen as each person sees them, then claimed from App Home; a client who writes by
email and is answered by email. Screenshots go to build/screenshots/."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.sandbox.workspace import (
    ACCOUNT_MANAGER,
    CLIENT,
    ENGINEER,
    FIRST_MESSAGE,
    LEAD,
    SUPPORT_EMAIL,
)
from tests.support.cli import ROOT
from tests.support.sandbox import Sandbox

SHOTS = Path(os.environ.get("SANDBOX_SCREENSHOTS", ROOT / "build" / "screenshots"))
PLANS = {"standard": {"critical": 60, "high": 6}}
"""Critical: no reminder during the first walk-through (the warning would come at 45 s);
High: the warning at 4.5 s, the breach at 6 s."""
SEEN = 10_000
"""Milliseconds to wait for what the bot does at once (a post, an update)."""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("Chromium is not installed: ./scripts/test installs it "
                           "(Debian: apt-get install chromium)")
    return found


@pytest.fixture
def sandbox_args() -> list[str]:
    return ["--plans", json.dumps(PLANS)]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium(), headless=True)
        yield launched
        await launched.close()


async def be(page: Page, persona_id: str) -> None:
    await page.select_option("#persona", persona_id)
    await expect(page.locator("#persona")).to_have_value(persona_id)
    # Their own direct messages in the sidebar: the page has drawn what this person sees.
    await expect(page.locator(f"#sidebar [data-channel='D{persona_id[1:]}']")).to_have_count(1)


async def open_ticket(page: Page, title: str, severity: str, description: str) -> str:
    """As the client: **Open a ticket** on the pinned welcome message, fill the modal."""
    await page.locator("#messages .msg", has_text="Welcome, Acme Media").get_by_role(
        "button", name="Open a ticket").click()
    modal = page.get_by_role("dialog", name="Open a support ticket")
    await modal.get_by_label("Title").fill(title)
    await modal.get_by_label(severity).check()
    await modal.get_by_label("Description").fill(description)
    await modal.get_by_role("button", name="Open ticket").click()
    opened = page.get_by_role("dialog", name="Ticket opened")
    await expect(opened).to_contain_text("is open", timeout=SEEN)
    key = (await opened.locator("b").first.inner_text()).strip()
    await opened.get_by_role("button", name="Done").click()
    await expect(opened).to_be_hidden()
    return key


async def shoot(page: Page, name: str) -> None:
    """A screenshot in ``SHOTS`` (Playwright makes the folder)."""
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def test_a_ticket_walked_through_the_page(sandbox: Sandbox, browser: Browser) -> None:
    # A first visit (a fresh browser, the bare URL) is the client's, the chooser filled; so
    # is a visit that remembers someone the sandbox does not have.
    page = await browser.new_page(viewport={"width": 1400, "height": 860})
    await page.goto(sandbox.url)
    await expect(page.locator("#persona")).to_have_value(CLIENT.id)
    await expect(page.locator("#persona option")).to_have_count(6)
    await page.evaluate("localStorage.setItem('persona', 'U0NOBODY01')")
    await page.reload()
    await expect(page.locator("#persona")).to_have_value(CLIENT.id)
    sidebar = page.locator("#sidebar")
    await expect(sidebar).to_contain_text("acme-support")
    await expect(sidebar).not_to_contain_text("support-triage")

    # Dana's first message has opened a ticket: its card is in the message's thread, and
    # the engineer sees it in triage.
    first = page.locator("#messages .msg", has_text=FIRST_MESSAGE[:40])
    await first.get_by_role("button", name="Reply in thread").click()
    await expect(page.locator("#thread")).to_contain_text("T-1001 · Medium", timeout=SEEN)
    await page.locator("#close-thread").click()
    await be(page, ENGINEER.id)
    await sidebar.get_by_role("button", name="# support-triage").click()
    await expect(page.locator("#messages .msg", has_text="T-1001 · Medium")).to_contain_text(
        "Acme Media")
    await be(page, CLIENT.id)

    # The client opens a Critical ticket; the modal first shows what is missing.
    await page.get_by_role("button", name="Open a ticket").first.click()
    modal = page.get_by_role("dialog", name="Open a support ticket")
    await modal.get_by_role("button", name="Open ticket").click()
    await expect(modal.get_by_role("alert").first).to_contain_text("Give the ticket a title.")
    await modal.get_by_role("button", name="Cancel").click()
    key = await open_ticket(page, "Videos do not play", "Critical",
                            "Every video shows a black frame since 9:00.")
    assert key == "T-1003"
    card = page.locator("#messages .msg", has_text=f"{key} · Critical")
    await expect(card).to_contain_text("Your account manager @Morgan Blake is on alert")

    # An engineer sees it in triage, with its clock running, and claims it.
    await be(page, ENGINEER.id)
    await sidebar.get_by_role("button", name="# support-triage").click()
    triage = page.locator("#messages .msg", has_text=f"{key} · Critical")
    await expect(triage).to_contain_text("respond by")
    clocks = page.locator("#clocks")
    await expect(clocks).to_contain_text(f"{key} warning: the account manager is told")
    await triage.get_by_role("button", name="Claim").click()
    await expect(triage).to_contain_text(f"Claimed by @{ENGINEER.name}", timeout=SEEN)
    await expect(triage.get_by_role("button", name="Claim")).to_have_count(0)
    await shoot(page, "triage")

    # They answer in the client's thread: the first response stops the clock on the card.
    await sidebar.get_by_role("button", name="# acme-support").click()
    await page.locator("#messages .msg", has_text=f"{key} · Critical").get_by_role(
        "button", name="Reply in thread").click()
    thread = page.locator("#thread")
    await expect(thread).to_contain_text("has picked up", timeout=SEEN)
    await page.locator("#reply-text").fill("Looking into it now: which browser do they use?")
    await page.locator("#reply-text").press("Enter")
    await expect(thread).to_contain_text("which browser")
    await shoot(page, "thread")
    await sidebar.get_by_role("button", name="# support-triage").click()
    await expect(triage).to_contain_text("responded", timeout=SEEN)
    await expect(triage).not_to_contain_text("respond by")
    await expect(clocks).not_to_contain_text(f"{key} warning")

    # Another ticket goes unanswered: the account manager is warned, then the head of
    # support gets the breach by email.
    await be(page, CLIENT.id)
    other = await open_ticket(page, "Uploads fail", "High", "Every upload stops at 99%.")
    assert other == "T-1004"
    await be(page, ACCOUNT_MANAGER.id)
    await sidebar.locator("[data-channel^=D]").click()
    dm = page.locator("#messages")
    await expect(dm).to_contain_text(f"{other} · High · Acme Media: Uploads fail", timeout=SEEN)
    await expect(dm).to_contain_text("No response yet")
    await shoot(page, "warning-dm")
    await be(page, LEAD.id)
    await sidebar.get_by_role("button", name="Mailbox").click()
    mail = page.locator("#messages .mail", has_text=other)
    await expect(mail).to_contain_text(f"[SLA breach] {other} High", timeout=SEEN)
    await expect(mail).to_contain_text(f"to {LEAD.email}")
    await shoot(page, "breach-email")
    await sidebar.get_by_role("button", name="# support-triage").click()
    await expect(page.locator("#messages .msg", has_text=f"{other} · High")).to_contain_text(
        "BREACHED")

    # The engineer opens App Home: their queue, with the breached ticket nobody holds; they
    # claim it from there.
    await be(page, ENGINEER.id)
    await sidebar.get_by_role("button", name="Support Desk · Home").click()
    home = page.locator("#messages .home")
    await expect(home).to_contain_text("My tickets (1)", timeout=SEEN)
    await expect(home).to_contain_text("Unassigned (3)")
    await expect(home).to_contain_text("Breached (1)")
    row = home.locator(".bk-section", has_text=f"{other} · High").first
    await expect(row).to_contain_text("overdue by")
    await row.get_by_role("button", name="Claim").click()
    await expect(home).to_contain_text("My tickets (2)", timeout=SEEN)
    await expect(home).to_contain_text("Unassigned (2)")
    await shoot(page, "home")


async def test_a_client_writes_by_email_and_is_answered_by_email(sandbox: Sandbox,
                                                                  browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 860})
    await page.goto(sandbox.url)
    await expect(page.locator("#persona")).to_have_value(CLIENT.id)
    sidebar = page.locator("#sidebar")

    # Dana writes to the support address from her mailbox: the desk acknowledges it.
    await sidebar.get_by_role("button", name="Mailbox").click()
    compose = page.get_by_role("form", name="New email")
    await expect(compose.get_by_label("From")).to_have_value(CLIENT.email)
    await expect(compose.get_by_label("To")).to_have_value(SUPPORT_EMAIL)
    await compose.get_by_label("Subject").fill("[High] Export fails")
    await compose.get_by_label("Message").fill("The CSV export stops with an error since noon.")
    await compose.get_by_role("button", name="Send").click()
    ack = page.locator("#messages .mail", has_text="Re: [High] Export fails")
    await expect(ack).to_contain_text("[T-1003] Re: [High] Export fails", timeout=SEEN)
    await expect(ack).to_contain_text("Severity: High")
    await expect(compose.get_by_label("Subject")).to_have_value("")

    # The ticket is in her channel, its card in the thread of the post naming her email.
    await sidebar.get_by_role("button", name="# acme-support").click()
    post = page.locator("#messages .msg", has_text="Export fails")
    await expect(post).to_contain_text(CLIENT.email)
    await post.get_by_role("button", name="Reply in thread").click()
    await expect(page.locator("#thread")).to_contain_text("T-1003 · High", timeout=SEEN)

    # Sam sees it in triage, and answers in the client's thread.
    await be(page, ENGINEER.id)
    await sidebar.get_by_role("button", name="# support-triage").click()
    await expect(page.locator("#messages .msg", has_text="T-1003 · High")).to_contain_text(
        "Export fails")
    await sidebar.get_by_role("button", name="# acme-support").click()
    await post.get_by_role("button", name="Reply in thread").click()
    await page.locator("#reply-text").fill("Which file do you export: the monthly report?")
    await page.locator("#reply-text").press("Enter")
    await expect(page.locator("#thread")).to_contain_text("the monthly report?")

    # Dana gets the answer by email, in the same email thread, and replies to it.
    await be(page, CLIENT.id)
    await sidebar.get_by_role("button", name="Mailbox").click()
    answer = page.locator("#messages .mail", has_text="the monthly report?")
    await expect(answer).to_contain_text("[T-1003]", timeout=SEEN)
    thread = page.locator("#messages .mail-thread", has_text="the monthly report?")
    await expect(thread.locator(".mail")).to_have_count(3)
    await answer.get_by_role("button", name="Reply").click()
    await expect(compose.get_by_label("Subject")).to_have_value(re.compile(r"^Re: \[T-1003\]"))
    await compose.get_by_label("Message").fill("Yes, the monthly report, every time.")
    await compose.get_by_role("button", name="Send").click()
    await expect(thread.locator(".mail")).to_have_count(4)
    await shoot(page, "client-mail")

    # Her reply is in the ticket's thread in Slack, as hers.
    await be(page, ENGINEER.id)
    await sidebar.get_by_role("button", name="# acme-support").click()
    await post.get_by_role("button", name="Reply in thread").click()
    await expect(page.locator("#thread")).to_contain_text("the monthly report, every time",
                                                          timeout=SEEN)
