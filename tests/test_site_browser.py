"""kg site in a real browser: headless Chromium from file://, following links, with no request leaving the machine.

Needs the Debian packages chromium and chromium-driver (.ci/run installs them) and the Python package
selenium (the test extra). Selenium Manager is kept offline: the browser and driver are given by path.
Screenshots go to test-artifacts/screenshots/ at the repository root, or $KG_TEST_ARTIFACTS/screenshots/.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kg.project import open_project
from kg.site import write_site

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTICLE = "wgbh-2011-06-06"
STATEMENT = "heffernan-statistics"


def _missing() -> str | None:
    for program in (CHROMIUM, CHROMEDRIVER):
        if not os.access(program, os.X_OK):
            return f"{program} is not installed (Debian packages chromium and chromium-driver; .ci/run installs them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the Python package selenium is not installed (pip install -e '.[test]')"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture(scope="module")
def screenshots() -> Path:
    directory = Path(os.environ.get("KG_TEST_ARTIFACTS") or REPO / "test-artifacts") / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def site(seeds_project, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("browser-site") / "site"
    write_site(open_project(seeds_project), target)
    return target


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-extensions", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    # Chromium starts on its own new-tab page (chrome:// resources): load a blank page and drop that
    # part of the log, so what is checked is everything the site's pages ask for afterwards.
    driver.get("about:blank")
    driver.get_log("performance")
    driver.requests = []  # every URL requested from here on, collected from the performance log
    try:
        yield driver
    finally:
        driver.quit()


def _collect_requests(driver) -> list[str]:
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            driver.requests.append(message["params"]["request"]["url"])
    return driver.requests


def _in_view(driver, element) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;", element)


def test_follow_a_highlight_to_its_statement_and_back(site, browser, screenshots):
    from selenium.webdriver.common.by import By

    article_url = (site / "articles" / f"{ARTICLE}.html").as_uri()
    browser.get(article_url)
    assert "Mass. Won't Participate" in browser.title
    text = browser.find_element(By.ID, "text")
    assert text.is_displayed()
    highlight = browser.find_element(By.ID, f"st-{STATEMENT}")
    assert "k-statement" in highlight.get_attribute("class").split()
    browser.save_screenshot(str(screenshots / "article.png"))

    link = highlight.find_element(By.XPATH, "./a")  # the statement's own words, not a name nested in it
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    assert browser.current_url.endswith(f"/statements/{ARTICLE}/{STATEMENT}.html")
    assert "Mary Beth Heffernan" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.TAG_NAME, "mark").is_displayed()
    browser.save_screenshot(str(screenshots / "statement.png"))

    browser.find_element(By.ID, "back").click()
    assert browser.current_url == f"{article_url}#st-{STATEMENT}"
    target = browser.execute_script("return document.querySelector(':target');")
    assert target is not None and target.get_attribute("id") == f"st-{STATEMENT}"
    assert target.is_displayed() and _in_view(browser, target)
    assert "cited statistics" in target.text
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle;", target)
    assert outline == "solid"  # the :target rule marks the spot
    browser.save_screenshot(str(screenshots / "article-at-highlight.png"))


def test_entity_and_index_pages_render_with_their_stylesheet(site, browser, screenshots):
    from selenium.webdriver.common.by import By

    browser.get((site / "index.html").as_uri())
    header = browser.find_element(By.CSS_SELECTOR, "header.site")
    assert browser.execute_script("return getComputedStyle(arguments[0]).backgroundColor;", header) == "rgb(18, 38, 58)"
    browser.save_screenshot(str(screenshots / "index.png"))
    browser.find_element(By.LINK_TEXT, "Mary Beth Heffernan").click()
    assert browser.current_url.endswith("/entities/mary-beth-heffernan.html")
    assert browser.find_element(By.ID, "said").is_displayed()
    browser.save_screenshot(str(screenshots / "entity.png"))


def test_citation_svg_renders(site, browser, screenshots):
    if not shutil.which("dot"):
        pytest.skip("Graphviz not installed (Debian package graphviz; .ci/run installs it)")
    from selenium.webdriver.common.by import By

    browser.get((site / "citations.html").as_uri())
    svg = browser.find_element(By.CSS_SELECTOR, ".graph svg")
    size = svg.size
    assert size["width"] > 200 and size["height"] > 200
    nodes = browser.find_elements(By.CSS_SELECTOR, ".graph svg g.node")
    assert len(nodes) > 10
    box = browser.execute_script("return arguments[0].getBBox().width;", nodes[0])
    assert box > 0
    browser.save_screenshot(str(screenshots / "citations.png"))
    heffernan = browser.find_element(By.XPATH, "//*[local-name()='a'][contains(@*[local-name()='href'], 'entities/mary-beth-heffernan.html')]")
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", heffernan)
    assert browser.current_url.endswith("/entities/mary-beth-heffernan.html")


def test_no_request_leaves_the_machine(site, browser):
    from selenium.webdriver.common.by import By

    for page in ("index.html", f"articles/{ARTICLE}.html", "queries/who-cited-boston-pilot-figures.html",
                 "statistics/boston-pilot-serious-crime-share.html", "citations.svg"):
        browser.get((site / page).as_uri())
        browser.find_element(By.TAG_NAME, "body" if page.endswith(".html") else "svg")
    requests = _collect_requests(browser)
    assert any(url.startswith("file:") and url.endswith("site.css") for url in requests), requests[:10]
    outside = sorted({url for url in requests if url.split(":", 1)[0] not in ("file", "data", "about")})
    assert not outside, f"requests left the machine: {outside}"
