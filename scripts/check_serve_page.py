#!/usr/bin/env python3
"""Drives `charrnn serve`'s page in headless Chromium, as a person would.

    check_serve_page.py URL --case MODEL=PRIME [--case MODEL=PRIME ...]
        [--label-case MODEL=LABEL=TEXT] [--classify-case MODEL=TEXT=LABEL]
        [--translate-case MODEL=SOURCE=OUTPUT] [--screenshot PNG]

For the first case: picks the model, types the prime, presses Ctrl+Enter with a
long length, sees text arrive while the stream is still open (Stop enabled, the
text growing), and stops it. For every case: writes a short text to its end and
checks that the prime and the streamed text are on the page, with the mean
log-probability in the status line; then "Continue" extends the text. Then,
with a fresh seed, the seed the status line shows, typed back into the Seed
field, must write the same text, and a seed past 2^53 (which a JavaScript
number would round) must be refused with a message. For a --label-case, the
label picker must show for the model with its first label chosen, and with
LABEL picked, seed 1 and --length, the page must write TEXT (what `charrnn
sample --label LABEL --seed 1 --length N` writes); it must hide for a model
without labels. For a --classify-case, the classify box must replace the
writer, and classifying TEXT must name LABEL. For a --translate-case, the
translate box must replace the writer, and translating SOURCE greedily and
with beam 4 must show OUTPUT (what `charrnn translate` prints). Fails on
any console error (a Content-Security-Policy violation included). Needs
Debian's chromium and chromium-driver, and selenium (pip). Exit 0 and "ok" when
every check holds; 1 with the failed check otherwise.
"""
import argparse
import re
import shutil
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--case", action="append", required=True, help="MODEL=PRIME")
    parser.add_argument("--label-case", action="append", default=[], help="MODEL=LABEL=TEXT")
    parser.add_argument("--classify-case", action="append", default=[], help="MODEL=TEXT=LABEL")
    parser.add_argument("--translate-case", action="append", default=[], help="MODEL=SOURCE=OUTPUT")
    parser.add_argument("--screenshot")
    parser.add_argument("--length", type=int, default=300, help="characters per written text")
    parser.add_argument("--long-length", type=int, default=10000,
                        help="characters of the text watched while streaming and stopped (at most the server's --max-length)")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,760"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    wait = WebDriverWait(driver, 20, poll_frequency=0.01)
    el = lambda i: driver.find_element(By.ID, i)
    text = lambda i: driver.execute_script("return document.getElementById(arguments[0]).textContent", i)

    def check(condition, what):
        if not condition:
            raise SystemExit("check_serve_page: failed: %s (status: %r)" % (what, text("status")))

    def set_value(field, value):
        el(field).clear()
        el(field).send_keys(str(value))

    try:
        driver.get(args.url)
        wait.until(lambda d: len(Select(el("model")).options) > 0)
        for n, case in enumerate(args.case):
            model, prime = case.split("=", 1)
            Select(el("model")).select_by_value(model)
            el("prime").clear()
            el("prime").send_keys(prime)
            if n == 0:
                # A long text: watch it stream in, then stop it.
                set_value("length", args.long_length)
                el("prime").send_keys(Keys.CONTROL, Keys.ENTER)
                wait.until(lambda d: len(text("generated")) > 0 and el("stop").is_enabled())
                seen = len(text("generated"))
                wait.until(lambda d: len(text("generated")) > seen)
                check(el("stop").is_enabled(), "text arrives while the stream is open")
                el("stop").click()
                wait.until(lambda d: text("status") == "stopped")
            set_value("length", args.length)
            set_value("seed", 1)
            el("prime").send_keys(Keys.CONTROL, Keys.ENTER)
            wait.until(lambda d: "mean log-probability" in text("status") or "error" in el("status").get_attribute("class"))
            check("mean log-probability" in text("status"), "%s: the text is written to its end" % model)
            check(text("primed") == prime, "%s: the prime %r is shown (got %r)" % (model, prime, text("primed")))
            written = text("generated")
            check(len(written) > 0, "%s: streamed text is shown" % model)
            el("continue").click()
            wait.until(lambda d: "mean log-probability" in text("status") and len(text("generated")) > 0 and text("primed") != prime)
            check(text("primed") == prime + written, "%s: Continue extends the text" % model)
            print("check_serve_page: %s: prime %r, wrote %d characters, then continued" % (model, prime, len(written)))

        def write():
            driver.execute_script("document.getElementById('status').textContent = ''")
            el("write").click()
            wait.until(lambda d: "mean log-probability" in text("status") or "error" in el("status").get_attribute("class"))
            check("mean log-probability" in text("status"), "the text is written to its end")

        # A seed the page shows writes the same text when typed back (the server draws them below 2^53).
        set_value("length", args.length)
        el("seed").clear()
        write()
        first = text("generated")
        shown = re.search(r"seed (\d+),", text("status"))
        check(shown, "the status line shows the seed")
        seed = shown.group(1)
        set_value("seed", seed)
        write()
        check("seed %s," % seed in text("status"), "the typed seed %s is the one used" % seed)
        check(text("generated") == first, "seed %s typed back writes the same text" % seed)
        # One a JavaScript number cannot hold is refused, not rounded to another seed.
        set_value("seed", "9007199254740993")
        el("write").click()
        wait.until(lambda d: "error" in el("status").get_attribute("class"))
        check("seed must be a whole number from 0 to 9007199254740991" in text("status"), "a seed past 2^53 is refused")
        check(text("generated") == first, "a refused seed leaves the text as it was")
        print("check_serve_page: seed %s shown and typed back wrote the same %d characters; 9007199254740993 refused"
              % (seed, len(first)))

        plain = args.case[0].split("=", 1)[0]
        for case in args.label_case:
            model, label, expected = case.split("=", 2)
            Select(el("model")).select_by_value(model)
            check(el("label-field").is_displayed(), "%s: the label picker shows" % model)
            picker = Select(el("label"))
            check(picker.first_selected_option.get_attribute("value") == picker.options[0].get_attribute("value"),
                  "%s: the first label is chosen by default" % model)
            picker.select_by_value(label)
            el("prime").clear()
            set_value("length", args.length)
            set_value("seed", 1)
            write()
            check(text("generated") == expected, "%s: label %s, seed 1 writes charrnn sample's text (got %r, expected %r)"
                  % (model, label, text("generated"), expected))
            Select(el("model")).select_by_value(plain)
            check(not el("label-field").is_displayed(), "%s: no label picker for a model without labels" % plain)
            print("check_serve_page: %s: label picker (first label by default); label %s wrote sample's %d characters"
                  % (model, label, len(expected)))
        for case in args.classify_case:
            model, sentence, label = case.split("=", 2)
            Select(el("model")).select_by_value(model)
            check(el("classifier").is_displayed() and not el("writer").is_displayed(), "%s: the classify box replaces the writer" % model)
            el("classify-text").clear()
            el("classify-text").send_keys(sentence)
            el("classify").click()
            wait.until(lambda d: "characters read" in text("status") or "error" in el("status").get_attribute("class"))
            chosen = driver.execute_script("const r = document.querySelector('#probabilities tr.chosen'); return r && r.cells[0].textContent")
            check(chosen == label, "%s: %r is classified %s (got %r)" % (model, sentence, label, chosen))
            check(len(driver.find_elements(By.CSS_SELECTOR, "#probabilities tr")) >= 2, "%s: every label's probability is shown" % model)
            Select(el("model")).select_by_value(plain)
            check(el("writer").is_displayed() and not el("classifier").is_displayed(), "%s: the writer is back" % plain)
            print("check_serve_page: %s: classified %r as %s" % (model, sentence, label))

        for case in args.translate_case:
            model, source, output = case.split("=", 2)
            Select(el("model")).select_by_value(model)
            check(el("translator").is_displayed() and not el("writer").is_displayed(), "%s: the translate box replaces the writer" % model)
            for beam in ("1", "4"):
                el("translate-source").clear()
                el("translate-source").send_keys(source)
                el("beam").clear()
                el("beam").send_keys(beam)
                el("translate").click()
                wait.until(lambda d: "translated" in text("status") or "error" in el("status").get_attribute("class"))
                check(text("translation") == output, "%s: %r translates to %r with beam %s (got %r; status %r)"
                      % (model, source, output, beam, text("translation"), text("status")))
            Select(el("model")).select_by_value(plain)
            check(el("writer").is_displayed() and not el("translator").is_displayed(), "%s: the writer is back" % plain)
            print("check_serve_page: %s: translated %r to %r, greedy and beam 4" % (model, source, output))

        problems = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        check(not problems, "no console errors: %s" % problems)
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
        print("ok")
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
