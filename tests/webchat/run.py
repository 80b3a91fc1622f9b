#!/usr/bin/env python3
"""The demo's web chat in a real browser, through the real binary (DESIGN.md section 11).

Starts `doorman demo`, opens the address it prints in headless Chromium and plays the people of
the demo tenant as a newcomer would, only through the page:

  Teams: Tom Becker asks to join VPN Users; Nina Patel, its owner, sees the approval card drawn
  by Microsoft's adaptivecards renderer and clicks Approve, then follows the sign-in link Doorman
  sends her; Tom is told it is done, and the tenant panel shows him in the group.
  Slack: Priya Nair asks for the Marketing team; she follows the Sign in button (a Block Kit
  `button.slack-button`); the helpdesk operator, whose sign-in carries it out, follows his link
  in Teams; Priya is told it is done in Slack, and the panel shows her in the team. She then
  lists her access, picks the grant in the Block Kit select and removes it.

Each step's screenshot is saved in target/webchat/ (with the demo's log), for a reader of a failed
run. Needs Debian's chromium and chromium-driver and the selenium package.

Usage (from anywhere): run.py [path/to/doorman]  (default: $CARGO_TARGET_DIR or target, then
release/doorman)
"""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "target", "webchat")
TOM, NINA, PRIYA, OPERATOR = (
    "tom.becker@contoso.com",
    "nina.patel@contoso.com",
    "priya.nair@contoso.com",
    "helpdesk.ops@contoso.com",
)


class Failed(Exception):
    """A step did not happen as a person would see it."""


def binary():
    if len(sys.argv) > 1:
        return os.path.abspath(sys.argv[1])
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    if not os.path.isabs(target):
        target = os.path.join(ROOT, target)
    return os.path.join(target, "release", "doorman")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout, step=0.3):
    """The predicate's first truthy value within `timeout` seconds, else None. A page drawn
    again under the reader is looked at again."""
    end = time.time() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except StaleElementReferenceException:
            pass
        if time.time() >= end:
            return None
        time.sleep(step)


def start_demo(log):
    sim_port, bot_port = free_port(), free_port()
    demo = subprocess.Popen(
        [binary(), "demo", "--sim-port", str(sim_port), "--bot-port", str(bot_port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    page = f"http://127.0.0.1:{sim_port}/"

    def page_is_up():
        try:
            with urllib.request.urlopen(page, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return demo.poll() is not None  # stop waiting for a demo that has exited

    if not wait_for(page_is_up, 120, 0.5) or demo.poll() is not None:
        raise Failed(f"doorman demo serves no page at {page} (see target/webchat/demo.log)")
    return demo, page


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Page:
    """The web chat as a person uses it: by its handles (DESIGN.md section 11) and what it shows."""

    def __init__(self, driver, address):
        self.driver = driver
        self.address = address
        self.home = None

    def open(self):
        self.driver.get(self.address)
        self.home = self.driver.current_window_handle

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(OUT, f"{name}.png"))

    def be(self, upn, platform):
        Select(self.driver.find_element(By.CSS_SELECTOR, "select#platform")).select_by_value(platform)
        Select(self.driver.find_element(By.CSS_SELECTOR, "select#person")).select_by_value(upn)

    def say(self, text):
        box = self.driver.find_element(By.CSS_SELECTOR, "#message")
        box.clear()
        box.send_keys(text)
        self.driver.find_element(By.CSS_SELECTOR, "button#send").click()

    def bot_messages(self):
        return self.driver.find_elements(By.CSS_SELECTOR, ".bot-message")

    def bot_message_saying(self, pattern):
        """The text of the latest bot message matching `pattern`, waiting for one to appear."""
        def find():
            for message in reversed(self.bot_messages()):
                if re.search(pattern, message.text, re.IGNORECASE):
                    return message.text
            return None
        return wait_for(find, 45)

    def button(self, selector, label, prefix=False):
        """The latest button matching `selector` in a bot message whose text is `label` (or,
        with `prefix`, starts with it)."""
        def find():
            wanted = label.lower()
            within = ", ".join(f".bot-message {part.strip()}" for part in selector.split(","))
            for candidate in reversed(self.driver.find_elements(By.CSS_SELECTOR, within)):
                text = candidate.text.strip().lower()
                if text == wanted or (prefix and text.startswith(wanted)):
                    return candidate
            return None
        return wait_for(find, 45)

    def follow_sign_in(self, selector, shot):
        """Clicks the latest sign-in button the bot sent, and reads the tab it opens (saved as
        the screenshot `shot`)."""
        button = self.button(selector, "Sign in", prefix=True)
        if not button:
            return None
        before = set(self.driver.window_handles)
        button.click()
        opened = wait_for(lambda: set(self.driver.window_handles) - before, 15)
        if not opened:
            return None
        self.driver.switch_to.window(opened.pop())
        said = wait_for(lambda: "signed in" in self.driver.page_source.lower() and self.driver.page_source, 30)
        self.shot(shot)
        self.driver.close()
        self.driver.switch_to.window(self.home)
        return said

    def pick(self, selector, label):
        """Picks, in the latest select matching `selector` in a bot message, the option whose
        text holds `label`; whether there was one."""
        selects = self.driver.find_elements(By.CSS_SELECTOR, f".bot-message {selector}")
        if not selects:
            return False
        choices = Select(selects[-1])
        for option in choices.options:
            if label.lower() in option.text.lower():
                choices.select_by_visible_text(option.text)
                return True
        return False

    def members(self, group):
        """The names the tenant panel shows as `group`'s members now, or None without its row."""
        rows = self.driver.find_elements(By.CSS_SELECTOR, f'#groups tr[data-group="{group}"]')
        if not rows:
            return None
        chips = rows[0].find_elements(By.CSS_SELECTOR, ".members .chip:not(.removed)")
        return [chip.text.strip() for chip in chips]

    def member_chip(self, group, name):
        """Whether the tenant panel shows `name` among `group`'s members, marked as added."""
        rows = self.driver.find_elements(By.CSS_SELECTOR, f'#groups tr[data-group="{group}"] .members .chip.added')
        return any(chip.text.strip() == name for chip in rows)


def run(page, check):
    page.open()

    # Teams: the requester asks.
    page.be(TOM, "teams")
    page.say("please add me to VPN Users")
    answer = page.bot_message_saying(r"R-[A-Z0-9]+.*approval")
    page.shot("1-teams-requester-asks")
    check(answer, "Tom sees Doorman's answer naming the request and the approval it waits for")

    # The owner sees the card, drawn by the library, and approves it with a click.
    page.be(NINA, "teams")
    approve = page.button(".ac-adaptiveCard .ac-pushButton", "Approve")
    page.shot("2-teams-owner-card")
    check(approve, "Nina sees the approval card drawn by the adaptivecards renderer (.ac-adaptiveCard, .ac-pushButton Approve)")
    approve.click()
    asked = page.bot_message_saying(r"sign in")
    page.shot("3-teams-owner-asked-to-sign-in")
    check(asked, "after approving, Nina is asked to sign in so the change is made with her token")
    check(page.follow_sign_in(".ac-pushButton", "3b-teams-owner-signed-in-tab"), "Nina's sign-in link opens the sign-in in a new tab, which says she is signed in")

    # The requester is told, and the tenant shows the membership.
    page.be(TOM, "teams")
    done = page.bot_message_saying(r"R-[A-Z0-9]+: done")
    shown = wait_for(lambda: page.member_chip("VPN Users", "Tom Becker"), 20)
    page.shot("4-teams-requester-done")
    check(done, "Tom is told his request is done")
    check(shown, "the tenant panel shows Tom added to VPN Users")

    # Slack: a requester signs in through a Block Kit button and asks.
    page.be(PRIYA, "slack")
    page.say("I need access to the marketing team for 3 days")
    sign_in = page.button("button.slack-button", "Sign in", prefix=True)
    page.shot("5-slack-requester-asked-to-sign-in")
    check(sign_in, "Priya, new to Doorman in Slack, gets a Block Kit Sign in button (button.slack-button)")
    check(page.follow_sign_in("button.slack-button", "5b-slack-requester-signed-in-tab"), "Priya's Sign in button opens the sign-in in a new tab")
    carried = page.bot_message_saying(r"R-[A-Z0-9]+: approved|helpdesk\.ops@contoso\.com")
    page.shot("6-slack-requester-answered")
    check(carried, "Doorman carries on in Slack once Priya signed in: approved, made with the operator's sign-in")

    # The operator, who carries it out, signs in from Teams; Priya is told in Slack.
    page.be(OPERATOR, "teams")
    check(page.follow_sign_in(".ac-pushButton, a", "6b-teams-operator-signed-in-tab"), "the helpdesk operator follows his sign-in link in Teams")
    page.be(PRIYA, "slack")
    done = page.bot_message_saying(r"R-[A-Z0-9]+: done")
    shown = wait_for(lambda: page.member_chip("Marketing", "Priya Nair"), 20)
    page.shot("7-slack-requester-done")
    check(done, "Priya is told in Slack that her request is done")
    check(shown, "the tenant panel shows Priya added to Marketing")

    # She lists her access, picks the grant in the Block Kit select and removes it.
    page.say("what access do I have?")
    picked = wait_for(lambda: page.pick("select.sk-select", "Marketing"), 45)
    remove = page.button("button.slack-button", "Remove")
    page.shot("8-slack-access-list")
    check(picked and remove, "Priya's access list offers her Marketing grant in a Block Kit select, with a Remove button")
    remove.click()
    ended = page.bot_message_saying(r"has ended")
    gone = wait_for(lambda: page.members("Marketing") is not None and "Priya Nair" not in page.members("Marketing"), 20)
    page.shot("9-slack-access-removed")
    check(ended, "Priya is told her Marketing membership has ended")
    check(gone, "the tenant panel no longer shows Priya in Marketing")


def main():
    os.makedirs(OUT, exist_ok=True)
    passed = []

    def check(ok, what):
        if not ok:
            raise Failed(what)
        passed.append(what)
        print(f"ok: {what}")

    log = open(os.path.join(OUT, "demo.log"), "w")
    demo, driver = None, None
    failed = 0
    try:
        demo, address = start_demo(log)
        driver = browser()
        run(Page(driver, address), check)
    except (Failed, WebDriverException) as failure:
        failed = 1
        print(f"FAILED: {str(failure).strip().splitlines()[0] if str(failure).strip() else failure!r}")
        if driver:
            try:
                driver.switch_to.window(driver.window_handles[0])
                driver.save_screenshot(os.path.join(OUT, "failed.png"))
            except WebDriverException:
                pass
    finally:
        if driver:
            driver.quit()
        if demo and demo.poll() is None:
            demo.terminate()
            try:
                demo.wait(10)
            except subprocess.TimeoutExpired:
                demo.kill()
        log.close()
    print(f"screenshots in {os.path.relpath(OUT, ROOT)}/")
    print(f"webchat: {len(passed)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
