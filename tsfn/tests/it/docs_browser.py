#!/usr/bin/env python3
"""Browser test of tsfn's API reference page (`GET /docs`): headless Chromium driven by
Selenium 4, as console_browser.py drives the console.

    python3 docs_browser.py --url http://127.0.0.1:PORT --screenshot FILE

Loads /docs, waits until Redoc has rendered a heading for every operation of /openapi.json (its
summary), and checks that no request left the server (every URL the browser asked for is on
--url, or data:/blob:) and that the browser logged no error (a CSP violation would be one).
Exits 0 when all holds, 1 naming what failed; the screenshot is saved either way.
"""

import argparse
import json
import os
import sys
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="a tsfn serve")
    p.add_argument("--screenshot", required=True, help="where the page's screenshot goes")
    p.add_argument("--timeout", type=float, default=60, help="bound of the wait, seconds")
    p.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    p.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    args = p.parse_args()
    base = args.url.rstrip("/")

    with urllib.request.urlopen(base + "/openapi.json") as r:
        doc = json.load(r)
    summaries = sorted(op["summary"] for item in doc["paths"].values() for op in item.values())

    opts = webdriver.ChromeOptions()
    opts.binary_location = args.chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--lang=en-US"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(args.chromedriver), options=opts)
    driver.set_page_load_timeout(args.timeout)
    failures = []
    try:
        driver.get(base + "/docs")
        headings_js = "return [...document.querySelectorAll('h1, h2')].map(h => h.textContent.trim())"
        try:
            WebDriverWait(driver, args.timeout, poll_frequency=0.2).until(
                lambda d: set(summaries) <= set(d.execute_script(headings_js)))
        except TimeoutException:
            shown = set(driver.execute_script(headings_js))
            failures.append(f"operations not rendered after {args.timeout} s: "
                            f"{sorted(set(summaries) - shown)}")
        print(f"{len(summaries)} operations; headings rendered: "
              f"{len(driver.execute_script(headings_js))}")

        urls = []
        for entry in driver.get_log("performance"):
            m = json.loads(entry["message"])["message"]
            if m.get("method") == "Network.requestWillBeSent":
                urls.append(m["params"]["request"]["url"])
        print(f"{len(urls)} requests:", *sorted(set(urls)), sep="\n  ")
        away = [u for u in urls
                if not (u.startswith(base + "/") or u.startswith(("data:", "blob:")))]
        if away:
            failures.append(f"requests that left {base}: {away}")
        if not any(u.startswith(base + "/openapi.json") for u in urls):
            failures.append("the page never asked for /openapi.json")

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        if errors:
            failures.append(f"browser errors: {errors}")
    finally:
        driver.save_screenshot(args.screenshot)
        driver.quit()
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
