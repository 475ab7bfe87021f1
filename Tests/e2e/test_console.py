"""The web console (`/console`), driven by a real headless Chromium through Selenium: signing
in with the root key, creating functions from the inline editor and from a zip, the Test,
Monitor, Logs, Configuration and Versions tabs, the usage page; and, with plain HTTP, what a
browser hides: status codes, cookie flags, CSRF refusals, escaping in the raw HTML, the
session's lifetime, and that functions cannot reach the console from their sandbox.

Every page a test visits is saved as `<test>-<page>.png` under $LAMBENT_E2E_ARTIFACTS/console
(default <repo>/.build/e2e-artifacts/console); `functions-list.png` there is the README's.
Needs chromium and chromium-driver (Debian) and selenium (requirements.txt).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import REPO, error_code, invoke, make_zip

ARTIFACTS = Path(os.environ.get("LAMBENT_E2E_ARTIFACTS", REPO / ".build" / "e2e-artifacts")) / "console"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
COOKIE = "lambent_console"

WRONG_KEY = "The access key or secret is not right."
CSRF_REFUSED = "The form has expired or was not sent by this console."
CHART_METRICS = ["Invocations", "Errors", "Throttles", "Duration p50", "Duration p99", "ConcurrentExecutions"]

HELLO = """import json

def handler(event, context):
    print("hello from the console", json.dumps(event), flush=True)
    if event.get("fail"):
        raise ValueError("failed on purpose")
    return {"greeting": "hello", "event": event}
"""

PRINTER = "def handler(event, context):\n    print(event['line'], flush=True)\n    return 'printed'\n"


# ---------------------------------------------------------------------------
# Plain HTTP: what the browser does not show (status codes, headers, raw HTML)
# ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class _FormTokens(HTMLParser):
    """The hidden csrf input of each form, by the form's id."""

    def __init__(self):
        super().__init__()
        self.form: str | None = None
        self.tokens: dict[str | None, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.form = attributes.get("id")
        elif tag == "input" and attributes.get("name") == "csrf":
            self.tokens.setdefault(self.form, attributes.get("value") or "")


@dataclass
class Page:
    status: int
    headers: Message
    body: str

    @property
    def location(self) -> str:
        """The path a redirect points at (the Location may be absolute or relative)."""
        return urlsplit(self.headers.get("Location", "")).path

    def csrf(self, form: str) -> str:
        parser = _FormTokens()
        parser.feed(self.body)
        assert form in parser.tokens, f"no form#{form} with a csrf input in:\n{self.body[:2000]}"
        return parser.tokens[form]

    def set_cookie(self, name: str = COOKIE) -> str | None:
        for header in self.headers.get_all("Set-Cookie") or []:
            if header.split("=", 1)[0].strip() == name:
                return header
        return None


class ConsoleHttp:
    """A cookie-keeping HTTP client of the console that never follows redirects by itself."""

    def __init__(self, server, cookies: dict | None = None):
        self.server = server
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                follow: bool = False) -> Page:
        url = path if path.startswith("http") else f"{self.server.endpoint}{path}"
        request = urllib.request.Request(url, data=body, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with _OPENER.open(request, timeout=120) as response:
                page = Page(response.status, response.headers, response.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            page = Page(error.code, error.headers, error.read().decode(errors="replace"))
        for header in page.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.partition("=")
            if value and "max-age=0" not in attributes.lower().replace(" ", ""):
                self.cookies[name.strip()] = value.strip()
            else:
                self.cookies.pop(name.strip(), None)
        if follow and page.status in (301, 302, 303):
            return self.get(page.headers["Location"])
        return page

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, fields: dict, follow: bool = False) -> Page:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded", follow=follow)

    def post_multipart(self, path: str, fields: dict) -> Page:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
                 for key, value in fields.items()]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def sign_in(self, access_key: str | None = None, secret_key: str | None = None) -> Page:
        form = self.get("/console/login")
        assert form.status == 200, form
        return self.post("/console/login", {
            "accessKeyId": access_key or self.server.access_key,
            "secretAccessKey": secret_key or self.server.secret_key,
            "csrf": form.csrf("login"),
        })


def signed_in(server) -> ConsoleHttp:
    http = ConsoleHttp(server)
    answer = http.sign_in()
    assert answer.status == 303 and answer.location == "/console/", (answer.status, answer.location)
    assert COOKIE in http.cookies
    return http


def configuration_fields(csrf: str | None, memory: str = "128") -> dict:
    fields = {"memory": memory, "timeout": "30", "environment": "", "reservedConcurrency": ""}
    if csrf is not None:
        fields["csrf"] = csrf
    return fields


# ---------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------


class Console:
    """One test's browser on the console of one server; `shot(page)` saves a screenshot."""

    def __init__(self, server, driver, label: str):
        self.server = server
        self.driver = driver
        self.label = label

    def url(self, path: str) -> str:
        return f"{self.server.endpoint}/console{path}"

    def open(self, path: str, page: str | None = None) -> None:
        self.driver.get(self.url(path))
        if page:
            self.shot(page)

    @property
    def path(self) -> str:
        return urlsplit(self.driver.current_url).path

    @property
    def query(self) -> dict:
        return {key: values[-1] for key, values in parse_qs(urlsplit(self.driver.current_url).query).items()}

    def shot(self, page: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.label}-{page}.png"
        self.driver.save_screenshot(str(path))
        return path

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def set_value(self, css: str, text: str) -> None:
        """Set a textarea's text at once (typing code key by key is slow and gains nothing)."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", self.find(css), text)

    def value(self, css: str) -> str:
        return self.find(css).get_attribute("value")

    @contextmanager
    def navigation(self, timeout: float = 90):
        """Wait, after the block, for a new page to have loaded in place of the current one."""
        # A mark on the old page's window, rather than a stale element: Chromium may answer a
        # query on an element of a page being replaced with an inspector error, not "stale".
        mark = uuid.uuid4().hex
        self.driver.execute_script("window.lambentTestMark = arguments[0]", mark)
        yield

        def loaded(driver):
            try:
                return driver.execute_script(
                    "return window.lambentTestMark !== arguments[0] && document.readyState === 'complete'", mark)
            except WebDriverException:
                return False
        WebDriverWait(self.driver, timeout).until(loaded, "no new page was loaded")

    def press(self, css: str, timeout: float = 90) -> None:
        """Press a button or a link and wait for the page it leads to."""
        with self.navigation(timeout):
            self.find(css).click()

    def wait_for_text(self, css: str, text: str, timeout: float = 30) -> str:
        def contains(driver):
            found = driver.find_elements(By.CSS_SELECTOR, css)
            return found and text in found[0].text and found[0].text
        return WebDriverWait(self.driver, timeout).until(contains, f"{text!r} never appeared in {css}")

    def sign_in(self, access_key: str | None = None, secret_key: str | None = None) -> None:
        self.open("/login")
        self.type("form#login input[name=accessKeyId]", access_key or self.server.access_key)
        self.type("form#login input[name=secretAccessKey]", secret_key or self.server.secret_key)
        self.press("form#login button[type=submit]")

    def function_page(self, name: str, tab: str, page: str | None = None, **query) -> None:
        self.open(f"/functions/{name}?" + urllib.parse.urlencode({"tab": tab, **query}), page)
        assert self.find("h1").text == name

    def session_cookie(self) -> dict:
        return {COOKIE: self.driver.get_cookie(COOKIE)["value"]}


def new_driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser(request):
    """A fresh headless Chromium (no cookies) per test; a screenshot is kept if the test fails."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver")
    driver = new_driver()
    failed_before = request.session.testsfailed
    yield driver
    try:
        if request.session.testsfailed > failed_before:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / f"{_label(request)}-at-failure.png"))
    finally:
        driver.quit()


def _label(request) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "-", request.node.name.removeprefix("test_"))


@pytest.fixture
def console(server, browser, request) -> Console:
    """The shared server's console in this test's browser, not signed in."""
    return Console(server, browser, _label(request))


@pytest.fixture
def signed_in_console(console) -> Console:
    console.sign_in()
    assert console.path == "/console/", console.driver.current_url
    return console


def function_row(console: Console, name: str):
    rows = console.find_all(f'table#functions tr[data-function="{name}"]')
    assert len(rows) == 1, f"{name} is listed {len(rows)} times"
    return rows[0]


def cell(row, name: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"td.{name}").text.strip()


def chart(console: Console, metric: str):
    charts = console.find_all(f'svg.chart[data-metric="{metric}"]')
    assert len(charts) == 1, f"{len(charts)} charts of {metric}"
    return charts[0]


def chart_total(console: Console, metric: str) -> float:
    return float(chart(console, metric).get_attribute("data-total"))


# ---------------------------------------------------------------------------
# Signing in and out
# ---------------------------------------------------------------------------


def test_every_page_sends_a_stranger_to_the_login_page(server):
    http = ConsoleHttp(server)
    for path in ("/console/", "/console/create", "/console/usage", "/console/functions/anything?tab=test"):
        page = http.get(path)
        assert (page.status, page.location) == (303, "/console/login"), (path, page.status, page.headers)


def test_sign_in_refuses_a_wrong_key_then_lets_the_root_key_in(server, console):
    http = ConsoleHttp(server)
    wrong = http.sign_in(secret_key="not-the-secret")
    assert wrong.status == 401 and WRONG_KEY in wrong.body, (wrong.status, wrong.body[:500])
    right = http.sign_in()
    assert (right.status, right.location) == (303, "/console/")
    cookie = right.set_cookie()
    assert cookie, right.headers.get_all("Set-Cookie")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/console" in attributes, cookie

    console.open("/", "login")
    assert console.path == "/console/login"
    console.type("input[name=accessKeyId]", server.access_key)
    console.type("input[name=secretAccessKey]", "not-the-secret")
    console.press("form#login button[type=submit]")
    assert console.find(".error").text.strip() == WRONG_KEY
    console.shot("login-refused")

    console.sign_in()
    assert console.path == "/console/"
    console.find("table#functions")
    console.shot("signed-in")
    browser_cookie = console.driver.get_cookie(COOKIE)
    assert browser_cookie["httpOnly"] is True and browser_cookie["sameSite"] == "Strict", browser_cookie
    assert browser_cookie["path"] == "/console", browser_cookie


def test_signing_out_ends_the_session(server, signed_in_console):
    console = signed_in_console
    cookie = console.session_cookie()
    console.press("form#sign-out button")
    assert console.path == "/console/login"
    console.shot("signed-out")
    console.open("/")
    assert console.path == "/console/login"
    # The old cookie is worth nothing once the session is over, even if a client kept it.
    page = ConsoleHttp(server, cookie).get("/console/")
    assert (page.status, page.location) == (303, "/console/login")


def test_an_expired_session_returns_to_the_login_page(start_server, tmp_path, request, browser):
    short = start_server(tmp_path, extra_args=["--console-session-lifetime", "2s"])
    console = Console(short, browser, _label(request))
    console.sign_in()
    assert console.path == "/console/"
    http = signed_in(short)
    assert http.get("/console/").status == 200
    time.sleep(3)
    console.open("/", "after-expiry")
    assert console.path == "/console/login"
    page = http.get("/console/")
    assert (page.status, page.location) == (303, "/console/login")
    short.terminate()


# ---------------------------------------------------------------------------
# Creating functions and the functions list
# ---------------------------------------------------------------------------


def test_create_a_python_function_from_the_inline_editor(signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function.unique_name()
    console.press("a#create-function")
    assert console.path == "/console/create"
    assert console.value("form#create input[name=handler]") == "app.handler"
    assert console.value("form#create input[name=memory]") == "128"
    runtimes = [option.get_attribute("value") for option in Select(console.find("select[name=runtime]")).options]
    assert "python3.12" in runtimes and "nodejs22.x" in runtimes, runtimes
    console.type("form#create input[name=name]", name)
    Select(console.find("form#create select[name=runtime]")).select_by_value("python3.12")
    console.set_value("form#create textarea[name=code]", HELLO)
    console.shot("create")
    console.press("button#create-submit")
    assert console.path == f"/console/functions/{name}"
    assert console.find("h1").text == name
    console.shot("created")

    function.wait_active(name)
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["Runtime"], configuration["Handler"], configuration["MemorySize"]) == ("python3.12", "app.handler", 128)
    assert invoke(lambda_client, name, {"n": 1}).payload == {"greeting": "hello", "event": {"n": 1}}

    console.open("/", "list")
    row = function_row(console, name)
    assert cell(row, "runtime") == "python3.12" and "128" in cell(row, "memory")
    assert cell(row, "invocations") == "1" and cell(row, "errors") == "0"
    link = row.find_element(By.CSS_SELECTOR, "a.function-link")
    assert urlsplit(link.get_attribute("href")).path == f"/console/functions/{name}"


def test_a_bad_name_shows_the_form_again_with_the_problem(server, signed_in_console):
    console = signed_in_console
    console.open("/create")
    console.type("form#create input[name=name]", "bad name!")
    console.set_value("form#create textarea[name=code]", HELLO)
    # The browser may check the name itself (a pattern attribute); this is about the server's check.
    console.driver.execute_script("document.getElementById('create').noValidate = true")
    console.press("button#create-submit")
    assert console.find(".error").text.strip(), "the error names no problem"
    assert console.value("form#create input[name=name]") == "bad name!"
    console.shot("bad-name")
    http = signed_in(server)
    form = http.get("/console/create")
    page = http.post_multipart("/console/create", {"csrf": form.csrf("create"), "name": "bad name!", "runtime": "python3.12",
                                                   "handler": "app.handler", "code": HELLO, "memory": "128"})
    assert page.status == 400 and re.search(r'class="[^"]*\berror\b', page.body), (page.status, page.body[:500])


def test_create_a_function_from_a_zip_upload(signed_in_console, function, lambda_client, tmp_path):
    console = signed_in_console
    name = function.unique_name()
    app = "from helper import answer\n\ndef handler(event, context):\n    return {'answer': answer()}\n"
    archive = tmp_path / "package.zip"
    archive.write_bytes(make_zip({"app.py": app, "helper.py": "def answer():\n    return 42\n"}))
    console.open("/create")
    console.type("form#create input[name=name]", name)
    Select(console.find("form#create select[name=runtime]")).select_by_value("python3.12")
    console.find("form#create input[type=file][name=zip]").send_keys(str(archive))
    console.shot("create-from-zip")
    console.press("button#create-submit")
    assert console.path == f"/console/functions/{name}"
    function.wait_active(name)
    assert invoke(lambda_client, name, {}).payload == {"answer": 42}
    console.function_page(name, "code", "code")
    assert console.find("pre#handler-source").text.strip() == app.strip()


def test_the_functions_list_counts_invocations_and_errors(signed_in_console, function, lambda_client):
    """Also keeps functions-list.png, the README's picture of the console."""
    console = signed_in_console
    python = function(zip_bytes=make_zip({"app.py": HELLO}), FunctionName=function.track(f"orders-{uuid.uuid4().hex[:6]}"),
                      MemorySize=256)["FunctionName"]
    for event in ({}, {}, {"fail": True}):
        invoke(lambda_client, python, event)
    node = function.track(f"thumbnails-{uuid.uuid4().hex[:6]}")
    console.open("/create")
    console.type("form#create input[name=name]", node)
    Select(console.find("form#create select[name=runtime]")).select_by_value("nodejs22.x")
    console.type("form#create input[name=handler]", "index.handler")
    console.set_value("form#create textarea[name=code]",
                      "export const handler = async (event) => ({ resized: event.width ?? 0 });\n")
    console.press("button#create-submit")
    assert console.path == f"/console/functions/{node}"

    console.open("/", "list")
    console.driver.save_screenshot(str(ARTIFACTS / "functions-list.png"))
    row = function_row(console, python)
    assert (cell(row, "runtime"), cell(row, "invocations"), cell(row, "errors")) == ("python3.12", "3", "1")
    assert "256" in cell(row, "memory") and cell(row, "state") and cell(row, "modified")
    row = function_row(console, node)
    assert (cell(row, "runtime"), cell(row, "invocations"), cell(row, "errors")) == ("nodejs22.x", "0", "0")


# ---------------------------------------------------------------------------
# The function's tabs
# ---------------------------------------------------------------------------


def test_the_code_tab_shows_the_handler_and_deploys_a_new_one(signed_in_console, function, lambda_client):
    console = signed_in_console
    first = "def handler(event, context):\n    return 'first'\n"
    name = function(zip_bytes=make_zip({"app.py": first}))["FunctionName"]
    console.function_page(name, "code", "code")
    assert console.find("pre#handler-source").text.strip() == first.strip()
    second = "def handler(event, context):\n    return 'second'\n"
    console.set_value("form#code textarea[name=code]", second)
    console.press("button#deploy")
    assert console.path == f"/console/functions/{name}" and console.query.get("tab", "code") == "code"
    assert console.find("pre#handler-source").text.strip() == second.strip()
    console.shot("deployed")
    function.wait_updated(name)
    assert invoke(lambda_client, name, {}).payload == "second"


def test_the_test_tab_runs_the_function_and_shows_the_result(signed_in_console, function):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    console.function_page(name, "test", "test")
    console.set_value("form#test-form textarea[name=event]", '{"who": "console"}')
    console.press("button#run-test")
    console.find("#test-result")
    console.shot("succeeded")
    assert console.find("#result-status").text.strip() == "Succeeded"
    assert json.loads(console.find("pre#result-payload").text) == {"greeting": "hello", "event": {"who": "console"}}
    assert re.fullmatch(r"\d+(\.\d+)? ms", console.find("#result-duration").text.strip())
    assert re.fullmatch(r"\d+ ms", console.find("#result-billed").text.strip())
    assert console.find("#result-memory").text.strip() == "128 MB"
    assert re.fullmatch(r"\d+ MB", console.find("#result-max-memory").text.strip())
    log = console.find("pre#result-log").text
    for line in ("START RequestId:", "END RequestId:", "REPORT RequestId:", 'hello from the console {"who": "console"}'):
        assert line in log, log

    console.set_value("form#test-form textarea[name=event]", '{"fail": true}')
    console.press("button#run-test")
    console.shot("failed")
    assert console.find("#result-status").text.strip() == "Failed"
    assert json.loads(console.find("pre#result-payload").text)["errorMessage"] == "failed on purpose"


def test_a_saved_test_event_is_listed_and_loads_again(signed_in_console, function):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    console.function_page(name, "test")
    console.set_value("form#test-form textarea[name=event]", '{"saved": 42}')
    console.type("form#test-form input[name=eventName]", "console-event")
    console.press("button#run-test")
    assert console.find("#result-status").text.strip() == "Succeeded"

    console.function_page(name, "test", "saved-events")
    names = [link.text.strip() for link in console.find_all("a.saved-event")]
    assert names.count("console-event") == 1, names
    console.press('a.saved-event[href*="event=console-event"]')
    assert console.query == {"tab": "test", "event": "console-event"}
    assert json.loads(console.value("form#test-form textarea[name=event]")) == {"saved": 42}
    console.shot("loaded")
    console.press("button#run-test")
    assert json.loads(console.find("pre#result-payload").text)["event"] == {"saved": 42}


def test_the_monitor_charts_count_new_invocations(server, signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    console.function_page(name, "monitor", "before")
    windows = [option.get_attribute("value") for option in Select(console.find("form#window select[name=window]")).options]
    assert windows == ["1h", "3h", "12h", "1d", "3d", "1w"]
    assert sorted(svg.get_attribute("data-metric") for svg in console.find_all("svg.chart")) == sorted(CHART_METRICS)
    before = chart_total(console, "Invocations")
    for _ in range(3):
        invoke(lambda_client, name, {})
    console.driver.refresh()
    console.shot("after")
    assert chart_total(console, "Invocations") == before + 3
    assert int(chart(console, "Invocations").get_attribute("data-points")) >= 1
    assert int(chart(console, "Duration p50").get_attribute("data-points")) >= 1
    assert chart_total(console, "Errors") == 0

    Select(console.find("form#window select[name=window]")).select_by_value("3h")
    with console.navigation():
        console.driver.execute_script("arguments[0].requestSubmit()", console.find("form#window"))
    assert console.query.get("window") == "3h"
    assert chart_total(console, "Invocations") == before + 3
    console.shot("three-hours")

    # Plain SVG drawn by the server: nothing is fetched from elsewhere. (www.w3.org URLs are
    # XML namespace names, not addresses a browser loads.)
    raw = signed_in(server).get(f"/console/functions/{name}?tab=monitor").body
    assert not re.search(r"""<script[^>]+src\s*=\s*["']?(https?:)?//""", raw, re.IGNORECASE), raw
    foreign = [url for url in re.findall(r"""https?://[^\s"'<>)]+""", raw)
               if not url.startswith(server.endpoint) and not url.startswith("http://www.w3.org/")]
    assert foreign == []


def test_the_logs_tab_tails_printed_lines_and_filters_them(server, signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": PRINTER}))["FunctionName"]
    marker = uuid.uuid4().hex[:8]
    invoke(lambda_client, name, {"line": f"apple{marker}"})
    invoke(lambda_client, name, {"line": f"banana{marker}"})
    console.function_page(name, "logs")
    console.wait_for_text("pre#log-lines", f"banana{marker}")
    assert f"apple{marker}" in console.find("pre#log-lines").text
    console.shot("logs")
    # The live tail: a line printed after the page loaded appears without a reload.
    invoke(lambda_client, name, {"line": f"cherry{marker}"})
    console.wait_for_text("pre#log-lines", f"cherry{marker}", timeout=20)
    console.shot("tailed")

    with console.navigation():
        console.type("form#log-search input[name=filter]", f"apple{marker}" + Keys.ENTER)
    assert console.query.get("tab") == "logs" and console.query.get("filter") == f"apple{marker}"
    lines = console.find("pre#log-lines").text
    assert f"apple{marker}" in lines and f"banana{marker}" not in lines and f"cherry{marker}" not in lines, lines
    console.shot("filtered")

    tail = signed_in(server).get(f"/console/functions/{name}/logs.json?after=0")
    assert tail.status == 200, tail
    answer = json.loads(tail.body)
    assert isinstance(answer["next"], int)
    assert any(f"banana{marker}" in event["message"] and isinstance(event["timestamp"], int) for event in answer["events"])


def test_the_configuration_tab_updates_memory_environment_and_concurrency(server, signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    console.function_page(name, "configuration", "configuration")
    console.type("form#configuration input[name=memory]", "256")
    console.type("form#configuration input[name=timeout]", "10")
    console.set_value("form#configuration textarea[name=environment]", "GREETING=hello\nMODE=console")
    console.type("form#configuration input[name=reservedConcurrency]", "2")
    console.press("button#save-configuration")
    assert console.path == f"/console/functions/{name}" and console.query.get("tab") == "configuration"
    assert console.find(".notice").text.strip()
    console.shot("saved")
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    assert (configuration["MemorySize"], configuration["Timeout"]) == (256, 10)
    assert configuration["Environment"]["Variables"] == {"GREETING": "hello", "MODE": "console"}
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 2

    console.type("form#configuration input[name=memory]", "50")
    # The browser may refuse 50 itself (a min attribute); this is about the server's check.
    console.driver.execute_script("document.getElementById('configuration').noValidate = true")
    console.press("button#save-configuration")
    assert console.find(".error").text.strip()
    console.shot("invalid")
    assert lambda_client.get_function_configuration(FunctionName=name)["MemorySize"] == 256

    http = signed_in(server)
    form = http.get(f"/console/functions/{name}?tab=configuration")
    page = http.post(f"/console/functions/{name}/configuration", configuration_fields(form.csrf("configuration"), memory="50"))
    assert page.status == 400 and re.search(r'class="[^"]*\berror\b', page.body), (page.status, page.body[:500])


def test_the_versions_tab_lists_versions_aliases_url_and_triggers(server, signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    sqs = server.client(service="sqs")
    queue_name = f"console-{uuid.uuid4().hex[:8]}"
    queue = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)["UUID"]
    try:
        console.function_page(name, "versions", "versions")
        assert "1" in [td.text.strip() for td in console.find_all("table#versions td")]
        assert "live" in [td.text.strip() for td in console.find_all("table#aliases td")]
        assert url.rstrip("/") in console.find("#function-url").text
        assert queue_name in console.find("table#triggers").text
    finally:
        lambda_client.delete_event_source_mapping(UUID=mapping)
        sqs.delete_queue(QueueUrl=queue)


def test_the_usage_page_shows_requests_per_function_and_day(signed_in_console, function, lambda_client):
    console = signed_in_console
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    invoke(lambda_client, name, {})
    invoke(lambda_client, name, {})
    console.open("/usage", "usage")
    headers = [th.text.strip().lower() for th in console.find_all("table#usage th")]
    for column in ("day", "function", "arch", "requests", "gb-seconds", "cost"):
        assert any(column in header for header in headers), headers
    rows = [row for row in console.find_all("table#usage tr")
            if name in [td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")]]
    assert len(rows) == 1
    day, function_name, arch, requests, gb_seconds = [td.text.strip() for td in rows[0].find_elements(By.TAG_NAME, "td")][:5]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and (function_name, arch, requests) == (name, "x86_64", "2")
    assert float(gb_seconds) > 0


def test_the_queues_page_shows_each_queues_depth(server, signed_in_console):
    console = signed_in_console
    sqs = server.client(service="sqs")
    queue = f"console-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="one")
        sqs.send_message(QueueUrl=url, MessageBody="two")
        console.open("/queues", "queues")
        row = console.find(f'table#queues tr[data-queue="{queue}"]')
        assert row.find_element(By.CSS_SELECTOR, "td.visible").text.strip() == "2"
        names = [td.text for td in console.find_all("table#queues td")]
        assert not any(name.startswith("lambent:") for name in names)
    finally:
        sqs.delete_queue(QueueUrl=url)


# ---------------------------------------------------------------------------
# Security: CSRF, escaping, reach
# ---------------------------------------------------------------------------


def test_a_post_without_this_sessions_csrf_token_is_refused(server, function, lambda_client):
    name = function(zip_bytes=make_zip({"app.py": HELLO}))["FunctionName"]
    http = signed_in(server)
    other = signed_in(server)
    path = f"/console/functions/{name}/configuration"
    others_token = other.get(f"/console/functions/{name}?tab=configuration").csrf("configuration")
    for token in ("wrong", None, others_token):
        page = http.post(path, configuration_fields(token, memory="512"))
        assert page.status == 403 and CSRF_REFUSED in page.body, (token, page.status, page.body[:500])
    assert lambda_client.get_function_configuration(FunctionName=name)["MemorySize"] == 128

    created = function.unique_name()
    page = http.post_multipart("/console/create", {"csrf": "wrong", "name": created, "runtime": "python3.12",
                                                   "handler": "app.handler", "code": HELLO, "memory": "128"})
    assert page.status == 403 and CSRF_REFUSED in page.body, (page.status, page.body[:500])
    with pytest.raises(ClientError) as raised:
        lambda_client.get_function(FunctionName=created)
    assert error_code(raised.value) == "ResourceNotFoundException"

    page = http.post(f"/console/functions/{name}/test", {"csrf": "wrong", "event": "{}"})
    assert page.status == 403 and CSRF_REFUSED in page.body
    stranger = ConsoleHttp(server)
    stranger.get("/console/login")
    page = stranger.post("/console/login", {"accessKeyId": server.access_key, "secretAccessKey": server.secret_key, "csrf": "wrong"})
    assert page.status == 403 and CSRF_REFUSED in page.body and COOKIE not in stranger.cookies, (page.status, page.body[:500])


def test_the_console_escapes_what_functions_and_users_wrote(server, signed_in_console, function, lambda_client):
    console = signed_in_console
    code = "def handler(event, context):\n    print('<b>bold</b>', flush=True)\n    return {'html': '<b>bold</b>'}\n"
    name = function(zip_bytes=make_zip({"app.py": code}), Environment={"Variables": {"XSS": "<script>alert(1)</script>"}})["FunctionName"]
    invoke(lambda_client, name, {})
    http = signed_in(server)

    configuration = http.get(f"/console/functions/{name}?tab=configuration").body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in configuration and "<script>alert(1)" not in configuration

    deadline = time.monotonic() + 20
    while "&lt;b&gt;bold&lt;/b&gt;" not in (logs := http.get(f"/console/functions/{name}?tab=logs").body):
        assert time.monotonic() < deadline, f"the printed line never reached the logs tab:\n{logs[:2000]}"
        time.sleep(0.5)
    assert "<b>bold</b>" not in logs

    event = '{"note": "</textarea><script>alert(2)</script>"}'
    form = http.get(f"/console/functions/{name}?tab=test")
    result = http.post(f"/console/functions/{name}/test", {"csrf": form.csrf("test-form"), "event": event, "eventName": "escape"},
                       follow=True)
    assert result.status == 200 and re.search(r"""id=["']?test-result""", result.body), (result.status, result.body[:500])
    assert "<b>bold</b>" not in result.body and "&lt;b&gt;bold&lt;/b&gt;" in result.body
    assert "</textarea><script>" not in result.body
    saved = http.get(f"/console/functions/{name}?tab=test&event=escape").body
    assert "&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in saved and "</textarea><script>" not in saved

    # In the browser: the text is shown as text, and nothing ran.
    console.function_page(name, "test", "saved-event", event="escape")
    assert "</textarea><script>alert(2)</script>" in console.value("form#test-form textarea[name=event]")
    console.press("button#run-test")
    console.shot("result")
    assert "<b>bold</b>" in console.find("pre#result-log").text and not console.find_all("#test-result b")
    console.function_page(name, "logs", "logs")
    console.wait_for_text("pre#log-lines", "<b>bold</b>")
    console.function_page(name, "configuration", "configuration")
    assert "XSS=<script>alert(1)</script>" in console.value("form#configuration textarea[name=environment]")
    with pytest.raises(NoAlertPresentException):
        console.driver.switch_to.alert.text
    assert not console.find_all("#log-lines b, #result-payload b")


REACH_CONSOLE = """import os, urllib.error, urllib.request

def handler(event, context):
    url = os.environ["AWS_ENDPOINT_URL"] + "/console/login"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return {"url": url, "status": response.status, "body": response.read(4000).decode(errors="replace")}
    except urllib.error.HTTPError as error:
        return {"url": url, "status": error.code, "body": error.read(4000).decode(errors="replace")}
    except Exception as error:
        return {"url": url, "error": repr(error)}
"""


def test_functions_cannot_reach_the_console(function, lambda_client):
    name = function(zip_bytes=make_zip({"app.py": REACH_CONSOLE}))["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result.function_error is None, result.payload
    answer = result.payload
    # Refused one way or another (the platform proxy answers unknown paths 403 or 404), never served.
    assert answer.get("status", 400) >= 400, answer
    assert "accessKeyId" not in answer.get("body", ""), answer
