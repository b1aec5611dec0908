"""What the console's browser tests share: headless Chromium from the system, and the app
served by uvicorn on a free loopback port.

The browser is not optional: CI runs these tests, so a missing browser is a failure that
names the command to install it (``make test`` runs that command when it can).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

INSTALL = "apt-get install -y chromium chromium-driver"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "console"


def browser_paths() -> tuple[str, str]:
    """The system's Chromium and chromedriver; the test fails (not skips) without them."""
    binary = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = "chromium" if binary is None else "chromedriver"
        pytest.fail(f"the console's browser tests need {missing}: install it with `{INSTALL}` "
                    "(as root; `make test` does this on Debian)", pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("the console's browser tests need selenium: pip install -e '.[dev]'",
                    pytrace=False)
    return binary, driver


def chrome(width: int = 1280, height: int = 800):
    """A headless Chromium whose page is ``width`` × ``height`` CSS pixels, driven by
    selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # for script_errors
    browser = webdriver.Chrome(service=Service(driver), options=options)
    viewport(browser, width, height)
    return browser


def viewport(driver, width: int, height: int) -> None:
    """Size the window so that the page itself (not the window) is ``width`` × ``height``."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])


def script_errors(driver) -> list[str]:
    """The page's script errors since the last call (a failed request the console answers
    with a message is not one: the browser logs those as "Failed to load resource")."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` served over HTTP on a free loopback port (uvicorn, as ``asem serve`` runs it);
    yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def screenshot(driver, name: str) -> None:
    """Save the page as docs/console/<name>.png when ASEM_CONSOLE_SCREENSHOTS=1."""
    if os.environ.get("ASEM_CONSOLE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height, page = driver.execute_script(
        "return [window.innerWidth, window.innerHeight, document.documentElement.scrollHeight];")
    viewport(driver, width, min(max(page, height), 2000))  # the whole page, up to 2000 px
    try:
        driver.save_screenshot(str(SHOTS / f"{name}.png"))
    finally:
        viewport(driver, width, height)
