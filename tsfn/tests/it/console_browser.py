#!/usr/bin/env python3
"""Browser test of the tsfn web console: headless Chromium driven by Selenium 4.

    python3 console_browser.py --url http://127.0.0.1:PORT --screenshots DIR \
        [--keyed-url http://127.0.0.1:PORT2 --api-key KEY]

The server at --url must hold the bundled dataset (co2 and the Seattle series); the one at
--keyed-url runs with --api-key KEY. Each step saves DIR/NN-step.png; the script exits 0 when
every step passed, and 1 naming the failed step otherwise (with DIR/NN-step-FAILED.png and the
browser's console log). Every wait is bounded (--timeout, 30 s by default); nothing is timed as
an assertion. The time to the first chart and the bytes transferred by the page load are
printed, not asserted.

Needs selenium (4.27.1 tested) and Debian's chromium + chromium-driver (or --chromium and
--chromedriver pointing at another pair).
"""

import argparse
import json
import os
import random
import string
import sys
import tempfile
import time
import traceback
from urllib.parse import parse_qs, urlsplit

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


class StepFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise StepFailed(msg)


# Pixels of the chart canvas within `tol` of an "#rrggbb" colour, fully opaque.
COUNT_PIXELS_JS = """
const [hex, tol] = arguments;
const c = document.querySelector('#chart canvas');
if (!c || !c.width) return -1;
const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 0; i < d.length; i += 4)
  if (d[i + 3] > 200 && Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - g) <= tol && Math.abs(d[i + 2] - b) <= tol) n++;
return n;
"""

FETCH_JSON_JS = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
const key = sessionStorage.getItem('tsfn.apiKey');
fetch(url, {headers: key ? {Authorization: 'Bearer ' + key} : {}})
  .then(r => r.text()).then(done, e => done('ERROR ' + e));
"""


class ConsoleTest:
    def __init__(self, args):
        self.args = args
        self.url = args.url.rstrip("/")
        self.shots = args.screenshots
        self.timeout = args.timeout
        self.events = []  # Chrome performance log messages, drained as read
        self.step_no = 0
        self.suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        self.tmp = tempfile.mkdtemp(prefix="tsfn-console-")
        self.ok_id = f"browser-upload-{self.suffix}"
        self.bad_id = f"browser-bad-{self.suffix}"
        self.spike_id = f"browser-spikes-{self.suffix}"
        self.first_request = None
        self.zoomed_url = None
        self.zoomed_range = None

        opts = webdriver.ChromeOptions()
        opts.binary_location = args.chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--window-size=1280,800", "--force-device-scale-factor=1", "--lang=en-US"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=opts)
        self.driver.set_page_load_timeout(self.timeout)
        self.driver.set_script_timeout(self.timeout)
        # The viewport (not the window) is 1280x800.
        w, h = self.driver.execute_script("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]")
        self.driver.set_window_size(1280 + w, 800 + h)

    # ------------------------------------------------------------------ helpers
    def wait(self, cond, what, timeout=None):
        try:
            return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.1).until(lambda d: cond(d))
        except TimeoutException:
            raise StepFailed(f"timed out after {timeout or self.timeout} s waiting for {what}") from None

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def css(self, sel):
        return self.driver.find_element(By.CSS_SELECTOR, sel)

    def css_all(self, sel):
        return self.driver.find_elements(By.CSS_SELECTOR, sel)

    def shot(self, name):
        path = os.path.join(self.shots, f"{self.step_no:02d}-{name}.png")
        self.driver.save_screenshot(path)
        return path

    def drain(self):
        for entry in self.driver.get_log("performance"):
            try:
                self.events.append(json.loads(entry["message"])["message"])
            except (KeyError, ValueError):
                pass

    def points_requests(self, series):
        """(requestId, url) of every drawing request for `series` seen so far, in order."""
        self.drain()
        out = []
        for m in self.events:
            if m.get("method") == "Network.requestWillBeSent":
                url = m["params"]["request"]["url"]
                if f"/series/{series}/points?" in url:
                    out.append((m["params"]["requestId"], url))
        return out

    def response_json(self, request_id, url):
        try:
            body = self.driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": request_id})
            text = body["body"]
        except WebDriverException:
            text = self.driver.execute_async_script(FETCH_JSON_JS, url)  # the same URL, again
        return json.loads(text)

    def load(self, url):
        self.driver.get("about:blank")
        self.drain()
        self.events.clear()
        self.driver.get(url)

    def chart_ready(self, series):
        def ok(d):
            st = d.execute_script(
                "const c = document.getElementById('chart'); return c && [c.dataset.state, c.dataset.series, !!c.querySelector('canvas')]")
            return st and st[0] == "ready" and st[1] == series and st[2]
        self.wait(ok, f"the chart of {series} to be drawn")

    def first_chart_ms(self):
        return self.js("const m = performance.getEntriesByName('tsfn-first-chart'); return m.length ? m[0].startTime : null")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def upload(self, series, path):
        box = self.css("#upload-series")
        box.clear()
        box.send_keys(series)
        self.css("#upload-file").send_keys(path)
        self.wait(lambda d: d.find_element(By.ID, "upload-go").is_enabled(), "the Upload button to be enabled")
        self.css("#upload-go").click()

    def series_item(self, sid):
        items = self.css_all(f'[data-testid="series-item"][data-id="{sid}"]')
        return items[0] if items else None

    def choose_kind(self, kind):
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'#job-kind option[value="{kind}"]'), f"job kind {kind} in the form")
        Select(self.css("#job-kind")).select_by_value(kind)

    def pick_series(self, ids):
        # The picker is rebuilt on each change: find the boxes again every time.
        for _ in range(20):
            boxes = self.css_all('[data-testid="job-series-option"]')
            wrong = [b for b in boxes if b.is_selected() != (b.get_attribute("value") in ids)]
            if not wrong:
                return
            wrong[0].click()
        raise StepFailed(f"could not pick exactly {ids} in the job form")

    def submit_job(self):
        before = self.css("#job-panel").get_attribute("data-job")
        self.css("#job-submit").click()

        def submitted(d):
            err = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#job-form .field-err") if e.text.strip()]
            if err:
                raise StepFailed(f"the job form shows an error: {err}")
            job = d.find_element(By.ID, "job-panel").get_attribute("data-job")
            return job if job and job != before else None
        return self.wait(submitted, "the submitted job to open")

    def wait_job_done(self, job_id):
        def done(d):
            st = d.find_element(By.ID, "job-panel").get_attribute("data-status")
            if st in ("failed", "error"):
                raise StepFailed(f"job {job_id} {st}: {d.find_element(By.ID, 'job-status').text}")
            return st == "succeeded"
        self.wait(done, f"job {job_id} to succeed")

    # ------------------------------------------------------------------ steps
    def step_a_list(self):
        self.load(self.url + "/")
        self.wait(lambda d: self.series_item("co2"), "co2 in the series list")
        ids = [e.get_attribute("data-id") for e in self.css_all('[data-testid="series-item"]')]
        check("co2" in ids and len(ids) >= 3, f"expected co2 and at least 2 more series, got {ids}")
        print(f"    series listed: {', '.join(ids)}")
        # The page load, cold cache: the page and its files, and everything with the API calls.
        sizes = self.js("""
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource');
            const assets = res.filter(r => new URL(r.name).pathname.startsWith('/console/'));
            const sum = (a, k) => a.reduce((s, r) => s + (r[k] || 0), 0);
            return {page: nav.transferSize, assets: sum(assets, 'transferSize'), assetsDecoded: sum(assets, 'decodedBodySize'),
                    pageDecoded: nav.decodedBodySize, all: nav.transferSize + sum(res, 'transferSize'), n: res.length};
        """)
        print(f"    page load transferred: {sizes['page'] + sizes['assets']} bytes for the page and its files "
              f"({sizes['pageDecoded'] + sizes['assetsDecoded']} bytes uncompressed), "
              f"{sizes['all']} bytes with the API calls ({sizes['n']} requests after the page)")
        self.shot("series-list")

    def step_b_chart(self):
        self.css('[data-testid="series-open"][data-id="co2"]').click()
        self.chart_ready("co2")
        color = self.css('[data-testid="legend-item"][data-series="co2"]').get_attribute("data-color")
        check(color and color.startswith("#"), f"legend item of co2 has no colour ({color!r})")
        n = self.wait(lambda d: (lambda k: k if k > 300 else None)(d.execute_script(COUNT_PIXELS_JS, color, 40)),
                      f"over 300 pixels of co2's colour {color} on the canvas")
        print(f"    co2 drawn: {n} pixels of its line colour {color}")
        ms = self.first_chart_ms()
        print(f"    time from navigation start to the first chart (after clicking co2): {ms:.0f} ms" if ms else "    no tsfn-first-chart mark")
        self.shot("co2-chart")
        # The same chart from a fresh load of its link: the load time without a click in it.
        self.load(self.url + "/#s=co2")
        self.chart_ready("co2")
        ms = self.first_chart_ms()
        print(f"    time from navigation start to the first chart (fresh load of /#s=co2): {ms:.0f} ms" if ms else "    no tsfn-first-chart mark")
        reqs = self.points_requests("co2")
        check(reqs, "no drawing request for co2 seen in the network log")
        rid, url = reqs[0]
        q = parse_qs(urlsplit(url).query)
        check("max_points" in q and "from" not in q and "to" not in q,
              f"the first drawing request should ask max_points without from/to: {url}")
        body = self.response_json(rid, url)
        check(body.get("from") and body.get("to"), f"the first drawing answer has no from/to: {str(body)[:200]}")
        self.first_request = (url, body)
        print(f"    first request {urlsplit(url).path}?{urlsplit(url).query}: {len(body['points'])} points, "
              f"span {body['from']} .. {body['to']}")

    def step_c_zoom(self):
        first_url, first = self.first_request
        over = self.css("#chart .u-over")
        w = over.size["width"]
        n_before = len(self.points_requests("co2"))
        # Drag from 30% to 55% of the plot's width (offsets are from the element's centre).
        x0 = int(-w * 0.2)
        ActionChains(self.driver).move_to_element_with_offset(over, x0, 0).click_and_hold() \
            .move_by_offset(int(w * 0.1), 0).move_by_offset(int(w * 0.15), 0).release().perform()
        self.wait(lambda d: d.find_element(By.ID, "chart").get_attribute("data-fetched-from")
                  and d.find_element(By.ID, "chart").get_attribute("data-fetched-from") == d.find_element(By.ID, "range").get_attribute("data-from")
                  and d.find_element(By.ID, "chart").get_attribute("data-state") == "ready"
                  and len(self.points_requests("co2")) > n_before,
                  "the chart to be drawn again for the zoomed range")
        rid, url = self.points_requests("co2")[-1]
        q = parse_qs(urlsplit(url).query)
        check("from" in q and "to" in q, f"the request after the zoom has no from/to: {url}")
        f_ms = parse_rfc3339_ms(q["from"][0])
        t_ms = parse_rfc3339_ms(q["to"][0])
        F_ms, T_ms = parse_rfc3339_ms(first["from"]), parse_rfc3339_ms(first["to"])
        check(F_ms <= f_ms < t_ms <= T_ms and (t_ms - f_ms) < (T_ms - F_ms) * 0.6,
              f"the zoomed request {q['from'][0]} .. {q['to'][0]} is not a narrower part of {first['from']} .. {first['to']}")
        n = int(q["max_points"][0])
        plot_w = self.js("return document.querySelector('#chart .u-over').clientWidth")
        check(1.5 * plot_w <= n <= 2.5 * plot_w, f"max_points={n} is not about twice the plot width {plot_w}")
        body = self.response_json(rid, url)
        check(len(body["points"]) <= n, f"the answer has {len(body['points'])} points, over max_points={n}")
        check(body.get("max_points") in (None, n), f"the answer's max_points {body.get('max_points')} is not {n}")
        print(f"    zoomed to {q['from'][0]} .. {q['to'][0]}: max_points={n} (plot {plot_w} px wide), "
              f"{len(body['points'])} points back, bucket {body.get('bucket_ms')} ms")
        # The URL holds the view.
        self.zoomed_url = self.driver.current_url
        self.zoomed_range = (self.css("#range").get_attribute("data-from"), self.css("#range").get_attribute("data-to"))
        frag = parse_qs(urlsplit(self.zoomed_url).fragment)
        check(frag.get("s") == ["co2"] and frag.get("from") == [self.zoomed_range[0]] and frag.get("to") == [self.zoomed_range[1]],
              f"the URL does not hold the zoomed view: {self.zoomed_url}")
        print(f"    shared URL: {self.zoomed_url}")
        self.shot("zoomed")

    def step_d_upload(self):
        lines = ["t,v"] + [f"2024-05-01T{h:02d}:00:00Z,{20 + h / 10:.1f}" for h in range(24)] + \
                [f"2024-05-02T{h:02d}:00:00Z,{22 - h / 10:.1f}" for h in range(24)]
        ok = self.write("points-ok.csv", "\n".join(lines) + "\n")
        self.upload(self.ok_id, ok)
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="upload-ok"]'), "the upload to be confirmed")
        self.wait(lambda d: (lambda e: e is not None and e.get_attribute("data-count") == "48")(self.series_item(self.ok_id)),
                  f"{self.ok_id} listed with 48 points")
        item = self.series_item(self.ok_id)
        check("48 points" in item.text, f"the list item of {self.ok_id} does not show its count: {item.text!r}")
        print(f"    {self.ok_id} uploaded and listed: {item.text.splitlines()[0]} / 48 points")
        self.shot("upload-ok")

        # Line 5 of the file (line 1 is the header) is bad: the error names it and shows it.
        bad_line = "2024-05-01T03:00:00Z,not-a-number"
        bad = self.write("points-bad.csv", "t,v\n2024-05-01T00:00:00Z,1\n2024-05-01T01:00:00Z,2\n2024-05-01T02:00:00Z,3\n"
                         f"{bad_line}\n2024-05-01T04:00:00Z,5\n")
        self.upload(self.bad_id, bad)
        mark = self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, '[data-testid="upload-error-line"]') or [None])[0],
                         "the upload error naming the bad line")
        err = self.css('[data-testid="upload-error"]').text
        check(mark.get_attribute("data-line") == "5", f"the highlighted line is {mark.get_attribute('data-line')}, not 5")
        check(bad_line in mark.text, f"the highlighted line does not show the file's line 5: {mark.text!r}")
        check("line 5" in err, f"the error does not name line 5: {err!r}")
        check(self.series_item(self.bad_id) is None, f"{self.bad_id} was created by a rejected upload")
        print(f"    bad upload rejected: {err.splitlines()[0]!r}; highlighted: {mark.text!r}")
        self.shot("upload-error")

        # A flat series with two spikes, for the anomalies job.
        rows = ["t,v"]
        for i in range(200):
            v = 10 + 0.1 * ((i * 7) % 5)
            if i == 120:
                v = 60.0
            if i == 170:
                v = -40.0
            rows.append(f"{1714521600 + i * 3600},{v}")
        spikes = self.write("spikes.csv", "\n".join(rows) + "\n")
        self.upload(self.spike_id, spikes)
        self.wait(lambda d: (lambda e: e is not None and e.get_attribute("data-count") == "200")(self.series_item(self.spike_id)),
                  f"{self.spike_id} listed with 200 points")

    def step_e_plot(self):
        self.choose_kind("plot")
        self.pick_series(["co2"])
        fmt = self.css_all("#param-format")
        if fmt and fmt[0].tag_name == "select":
            Select(fmt[0]).select_by_value("png")
        job = self.submit_job()
        self.wait_job_done(job)
        img = self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, '[data-testid="result-image"]') or [None])[0],
                        "the plot image")
        self.wait(lambda d: d.execute_script("const i = arguments[0]; return i.complete && i.naturalWidth > 0", img),
                  "the plot image to load")
        size = self.js("const i = arguments[0]; return [i.naturalWidth, i.naturalHeight]", img)
        print(f"    plot job {job}: image {size[0]}x{size[1]} shown")
        self.js("arguments[0].scrollIntoView({block: 'center'})", img)
        self.shot("plot-job")

    def step_f_anomalies(self):
        self.choose_kind("anomalies")
        self.pick_series([self.spike_id])
        job = self.submit_job()
        self.wait_job_done(job)
        sel = '[data-testid="legend-item"][data-kind="markers"]'
        item = self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, sel) or [None])[0], "the anomaly markers in the legend")
        n = int(item.get_attribute("data-points"))
        check(n >= 2, f"the marker series has {n} points, expected the 2 spikes")
        self.chart_ready(self.spike_id)
        color = item.get_attribute("data-color")
        px = self.wait(lambda d: (lambda k: k if k > 20 else None)(d.execute_script(COUNT_PIXELS_JS, color, 40)),
                       f"marker pixels ({color}) on the canvas")
        rows = self.css_all('[data-testid="anomalies-table"] tbody tr')
        check(len(rows) >= 2, f"the anomalies table has {len(rows)} rows")
        print(f"    anomalies job {job}: {n} markers, {px} pixels of {color} on the canvas")
        self.js("document.getElementById('chart-panel').scrollIntoView()")
        self.shot("anomalies-job")

    def step_spectrum(self):
        # co2 is weekly with gaps: resampled to 7 days, the line taken out, the year on top.
        self.choose_kind("spectrum")
        self.pick_series(["co2"])
        every = self.css("#param-every")
        every.clear()
        every.send_keys("7d")
        Select(self.css("#param-detrend")).select_by_value("linear")
        job = self.submit_job()
        self.wait_job_done(job)
        svg = self.wait(lambda d: (d.find_elements(By.CSS_SELECTOR, '[data-testid="result-spectrum"]') or [None])[0],
                        "the spectrum chart")
        n = len(svg.find_element(By.TAG_NAME, "polyline").get_attribute("points").split())
        check(n > 1000, f"the spectrum line has {n} points, expected one per frequency (1,143)")
        rows = self.css_all('[data-testid="result-dominant"] tbody tr')
        check(len(rows) >= 1, "no dominant periods listed")
        first = rows[0].find_elements(By.TAG_NAME, "td")[0].text
        check(first.startswith("363.4"), f"the strongest period is {first!r}, expected the year (363.4 days)")
        print(f"    spectrum job {job}: {n} frequencies drawn, strongest period {first}")
        self.js("arguments[0].scrollIntoView({block: 'center'})", svg)
        self.shot("spectrum-job")

    def step_g_share(self):
        check(self.zoomed_url, "no zoomed URL from step c")
        self.load(self.zoomed_url)
        self.chart_ready("co2")
        rng = (self.css("#range").get_attribute("data-from"), self.css("#range").get_attribute("data-to"))
        check(rng == self.zoomed_range, f"the shared URL shows {rng}, not {self.zoomed_range}")
        items = [e.get_attribute("data-series") for e in self.css_all('[data-testid="legend-item"]')]
        check(items == ["co2"], f"the shared URL shows {items}, not co2 alone")
        _, url = self.points_requests("co2")[0]
        q = parse_qs(urlsplit(url).query)
        check(q.get("from") == [rng[0]] and q.get("to") == [rng[1]],
              f"the restored chart asked for {q.get('from')} .. {q.get('to')}, not {rng}")
        print(f"    restored co2 over {rng[0]} .. {rng[1]}")
        self.shot("shared-url")

    def step_h_key(self):
        self.load(self.args.keyed_url.rstrip("/") + "/")
        self.wait(lambda d: d.find_element(By.ID, "key-dialog").is_displayed(), "the API key form")
        check(not self.css_all('[data-testid="series-item"][data-id="co2"]'), "series listed before the key was given")
        self.shot("key-asked")
        self.css("#key-input").send_keys(self.args.api_key)
        self.css("#key-submit").click()
        self.wait(lambda d: self.series_item("co2"), "the series list after entering the key")
        check(not self.css("#key-dialog").is_displayed(), "the key form is still shown")
        print(f"    key accepted, {len(self.css_all('[data-testid=series-item]'))} series listed")
        self.shot("key-given")

    def run(self):
        steps = [("a", "series-list", self.step_a_list), ("b", "co2-chart", self.step_b_chart),
                 ("c", "zoom", self.step_c_zoom), ("d", "upload", self.step_d_upload),
                 ("e", "plot-job", self.step_e_plot), ("f", "anomalies-job", self.step_f_anomalies),
                 ("f2", "spectrum-job", self.step_spectrum), ("g", "shared-url", self.step_g_share)]
        if self.args.keyed_url:
            steps.append(("h", "api-key", self.step_h_key))
        for letter, name, fn in steps:
            self.step_no += 1
            started = time.monotonic()
            print(f"step {letter} ({name}) ...", flush=True)
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - any failure names its step
                try:
                    self.shot(f"{name}-FAILED")
                    logs = self.driver.get_log("browser")
                except WebDriverException:
                    logs = []
                if isinstance(e, WebDriverException):
                    msg = f"{type(e).__name__}: {(e.msg or '').strip()}"
                else:
                    msg = str(e)
                    if not isinstance(e, StepFailed):
                        traceback.print_exc()
                for entry in logs[-20:]:
                    print(f"    browser: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
                print(f"FAILED step {letter} ({name}): {msg}", file=sys.stderr)
                return 1
            print(f"step {letter} ({name}) passed in {time.monotonic() - started:.1f} s", flush=True)
        print(f"all {len(steps)} steps passed; screenshots in {self.shots}")
        return 0

    def close(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass


def parse_rfc3339_ms(s):
    """Milliseconds since the epoch of tsfn's "YYYY-MM-DDTHH:MM:SS.mmmZ"."""
    from datetime import datetime, timezone
    s = s.replace("Z", "+00:00")
    dt = datetime.fromisoformat(s)
    return int(round((dt - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1000))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="a tsfn serve with the bundled dataset")
    p.add_argument("--screenshots", required=True, help="directory for NN-step.png")
    p.add_argument("--keyed-url", help="a tsfn serve started with --api-key")
    p.add_argument("--api-key", help="the key of --keyed-url")
    p.add_argument("--timeout", type=float, default=30, help="bound of every wait, seconds")
    p.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    p.add_argument("--chromedriver", default=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    args = p.parse_args()
    if args.keyed_url and not args.api_key:
        p.error("--keyed-url needs --api-key")
    os.makedirs(args.screenshots, exist_ok=True)
    try:
        t = ConsoleTest(args)
    except WebDriverException as e:
        print(f"FAILED to start Chromium ({args.chromium}, {args.chromedriver}): {e.msg}", file=sys.stderr)
        return 2
    try:
        return t.run()
    finally:
        t.close()


if __name__ == "__main__":
    sys.exit(main())
