import Foundation
import Sampler
import Visualize

/// `GET /`: one self-contained page to write with (with a label picker for a
/// label-conditioned model), to classify with (for a classifier) or to translate
/// with (for a translation model). It makes
/// no request but to this server's API (`connect-src 'self'`); its one script
/// is allowed by hash.
enum Page {
    /// The policy in the page's <meta> (so that a saved copy keeps it), and in the header with what only a header can say.
    static let pagePolicy = "default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "script-src \(Markup.scriptHashSource(script)); base-uri 'none'; form-action 'none'"
    static let contentSecurityPolicy = pagePolicy + "; frame-ancestors 'none'"

    static let html: [UInt8] = Array("""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="\(pagePolicy)">
        <title>charrnn</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        <h1>charrnn</h1>
        <noscript>This page streams text with JavaScript; please allow scripts for this page.</noscript>
        <div class="controls">
          <label>Model <select id="model"></select></label>
          <label id="label-field" hidden>Label <select id="label"></select></label>
        </div>
        <section id="writer">
        <label for="prime">Prime</label>
        <textarea id="prime" dir="auto" rows="3" placeholder="Text to start from (Ctrl+Enter to write)"></textarea>
        <div class="controls">
          <label>Temperature <input id="temperature" type="number" min="0" max="5" step="0.05" value="\(SampleDefaults.temperature)"></label>
          <label>Top-p <input id="top_p" type="number" min="0.01" max="1" step="0.01" value="1"></label>
          <label>Length <input id="length" type="number" min="1" step="50" value="\(SampleDefaults.requestLength)"></label>
          <label>Seed <input id="seed" type="text" inputmode="numeric" autocomplete="off" placeholder="random"></label>
        </div>
        <div class="controls">
          <button id="write" type="button" title="Ctrl+Enter">Write</button>
          <button id="continue" type="button" disabled>Continue</button>
          <button id="stop" type="button" disabled>Stop</button>
        </div>
        </section>
        <section id="classifier" hidden>
        <label for="classify-text">Text</label>
        <textarea id="classify-text" dir="auto" rows="3" placeholder="Text to classify (Ctrl+Enter)"></textarea>
        <div class="controls"><button id="classify" type="button" title="Ctrl+Enter">Classify</button></div>
        </section>
        <section id="translator" hidden>
        <label for="translate-source">Source</label>
        <textarea id="translate-source" dir="auto" rows="3" placeholder="One source per line (Ctrl+Enter)"></textarea>
        <div class="controls">
          <label>Beam <input id="beam" type="number" min="1" max="64" step="1" value="1"></label>
          <button id="translate" type="button" title="Ctrl+Enter">Translate</button>
        </div>
        </section>
        <p id="status" role="status" aria-live="polite"></p>
        <div id="out" dir="auto" tabindex="0" aria-label="Generated text"><span id="primed"></span><span id="generated"></span></div>
        <div id="translation" dir="auto" tabindex="0" aria-label="Translation" hidden></div>
        <table id="classification" hidden><thead><tr><th>Label</th><th>Probability</th><th></th></tr></thead><tbody id="probabilities"></tbody></table>
        </main>
        <script>\(script)</script>
        </body>
        </html>
        """.utf8)

    static let style = """
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #fafaf8; color: #222; }
        main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
        textarea, #out { width: 100%; box-sizing: border-box; font: 15px/1.5 ui-monospace, monospace; }
        textarea { padding: .5rem; }
        .controls { display: flex; flex-wrap: wrap; gap: .6rem 1rem; margin: .6rem 0; align-items: center; }
        .controls input { width: 6rem; }
        .controls #seed { width: 11rem; }
        button { font-size: 1rem; padding: .3rem 1rem; }
        #status { min-height: 1.5em; color: #555; margin: .3rem 0; }
        #status.error { color: #b00020; }
        #out { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid #ccc; background: #fff; padding: .5rem; min-height: 8rem; }
        #primed { color: #777; }
        [hidden] { display: none !important; }
        #classification { border-collapse: collapse; margin-top: .5rem; }
        #classification th, #classification td { text-align: left; padding: .15rem 1rem .15rem 0; }
        #classification td:first-child { font-family: ui-monospace, monospace; }
        #classification tr.chosen { font-weight: bold; }
        #translation { white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid #ccc; background: #fff; padding: .5rem;
                       min-height: 4rem; font: 15px/1.5 ui-monospace, monospace; }
        """

    static let script = """
        "use strict";
        const $ = id => document.getElementById(id);
        let controller = null;
        const models = {};

        fetch("/v1/models").then(r => r.json()).then(list => {
          for (const m of list.data) {
            models[m.name] = m;
            const o = document.createElement("option");
            o.value = m.name;
            const stack = m.model.stack;
            const kind = m.task === "classify" ? ", classifier" : m.task === "translate" ? ", translates" : m.labels ? ", " + m.labels.length + " labels" : "";
            o.textContent = m.name + " (" + stack.cell + " " + stack.layers + "×" + stack.hidden_size + kind + ")";
            $("model").appendChild(o);
          }
          chooseModel();
        }).catch(e => status("cannot list the models: " + e, true));

        function option(value) {
          const o = document.createElement("option");
          o.value = value;
          o.textContent = value;
          return o;
        }

        // The chosen model's controls: the writer (with a label picker, its first label chosen, for a
        // model that writes from a label), the classify box or the translate box.
        function chooseModel() {
          const m = models[$("model").value];
          if (!m) return;
          const classifies = m.task === "classify", translates = m.task === "translate";
          $("writer").hidden = classifies || translates;
          $("out").hidden = classifies || translates;
          $("classifier").hidden = !classifies;
          $("classification").hidden = true;
          $("translator").hidden = !translates;
          $("translation").hidden = true;
          const labels = m.task === "generate" && m.labels ? m.labels : [];
          $("label-field").hidden = labels.length === 0;
          $("label").replaceChildren(...labels.map(option));
          status("");
        }
        $("model").addEventListener("change", chooseModel);

        function status(text, isError) {
          $("status").textContent = text;
          $("status").className = isError ? "error" : "";
        }

        function busy(on) {
          $("write").disabled = on;
          $("continue").disabled = on || $("primed").textContent + $("generated").textContent === "";
          $("stop").disabled = !on;
        }

        // The typed seed, or undefined for a fresh one. A JavaScript number holds whole numbers exactly
        // only below 2^53; Number() rounds past it (8601155592209774320 is read as 8601155592209774592 and
        // shown as 8601155592209775000), which would write another text than the seed typed: such a seed
        // is refused, not rounded. The server draws its seeds below 2^53, so every seed shown here can be
        // typed back.
        function typedSeed() {
          const text = $("seed").value.trim();
          if (text === "") return undefined;
          if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text)))
            throw new Error("the seed must be a whole number from 0 to " + Number.MAX_SAFE_INTEGER
              + " on this page (the API takes any 64-bit seed)");
          return Number(text);
        }

        function request(prime, seed) {
          const body = { model: $("model").value || undefined, prime: prime, stream: true,
                         temperature: Number($("temperature").value), length: Number($("length").value), seed: seed };
          if (!$("label-field").hidden) body.label = $("label").value;
          const p = Number($("top_p").value);
          if (p < 1) body.top_p = p;
          return body;
        }

        // Reads the server-sent events of a streamed answer, calling onEvent(name, data) for each.
        async function readEvents(response, onEvent) {
          const reader = response.body.getReader();
          const decoder = new TextDecoder();
          let pending = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            pending += decoder.decode(value, { stream: true });
            let cut;
            while ((cut = pending.indexOf("\\n\\n")) >= 0) {
              const block = pending.slice(0, cut);
              pending = pending.slice(cut + 2);
              let name = "message", data = "";
              for (const line of block.split("\\n")) {
                if (line.startsWith("event: ")) name = line.slice(7);
                else if (line.startsWith("data: ")) data += line.slice(6);
              }
              onEvent(name, JSON.parse(data));
            }
          }
        }

        async function generate(continuing) {
          let seed;
          try { seed = typedSeed(); } catch (e) { return status(e.message, true); }
          if (!continuing) {
            $("primed").textContent = $("prime").value;
            $("generated").textContent = "";
          }
          const prime = $("primed").textContent + $("generated").textContent;
          if (continuing) {
            $("primed").textContent = prime;
            $("generated").textContent = "";
          }
          controller = new AbortController();
          busy(true);
          status("writing…");
          try {
            const response = await fetch("/v1/generate", { method: "POST", signal: controller.signal,
              headers: { "Content-Type": "application/json" }, body: JSON.stringify(request(prime, seed)) });
            if (!response.ok) {
              const problem = await response.json().catch(() => ({ error: response.statusText }));
              throw new Error(problem.error);
            }
            await readEvents(response, (name, data) => {
              if (name === "text") $("generated").append(data.text);
              else if (name === "done") status(data.characters + " characters, mean log-probability "
                + data.mean_log_prob.toFixed(3) + " nats/char, seed " + data.seed
                + (data.stop_reason === "end" ? ", ended at the end of a document" : ", stopped by " + data.stop_reason));
              else if (name === "error") status(data.error, true);
            });
          } catch (e) {
            if (e.name === "AbortError") status("stopped");
            else status(String(e.message || e), true);
          } finally {
            controller = null;
            busy(false);
          }
        }

        // The classifier's answer for the text: its label, and every label's probability, most probable first.
        async function classify() {
          $("classify").disabled = true;
          status("classifying…");
          try {
            const response = await fetch("/v1/classify", { method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ model: $("model").value || undefined, text: $("classify-text").value }) });
            const answer = await response.json().catch(() => ({ error: response.statusText }));
            if (!response.ok) throw new Error(answer.error);
            const r = answer.results[0];
            const rows = Object.entries(r.probabilities).sort((a, b) => b[1] - a[1]).map(([label, p]) => {
              const row = document.createElement("tr");
              if (label === r.label) row.className = "chosen";
              const name = document.createElement("td"), percent = document.createElement("td"), bar = document.createElement("td");
              name.textContent = label;
              percent.textContent = (100 * p).toFixed(2) + "%";
              const meter = document.createElement("meter");
              meter.value = p;
              bar.appendChild(meter);
              row.append(name, percent, bar);
              return row;
            });
            $("probabilities").replaceChildren(...rows);
            $("classification").hidden = false;
            status(r.label + " (" + (100 * r.probability).toFixed(2) + "%), " + r.characters + " characters read"
              + (r.unknown > 0 ? ", " + r.unknown + " outside the vocabulary" : ""));
          } catch (e) {
            status(String(e.message || e), true);
          } finally {
            $("classify").disabled = false;
          }
        }

        // Each line of the source box translated, one output line each (an empty line gives an empty line).
        async function translate() {
          $("translate").disabled = true;
          status("translating…");
          try {
            const body = { model: $("model").value || undefined, sources: $("translate-source").value.split("\\n") };
            const beam = Number($("beam").value);
            if (beam > 1) body.beam = beam;
            const response = await fetch("/v1/translate", { method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify(body) });
            const answer = await response.json().catch(() => ({ error: response.statusText }));
            if (!response.ok) throw new Error(answer.error);
            $("translation").textContent = answer.results.map(r => r.translation + (r.finished ? "" : " …")).join("\\n");
            $("translation").hidden = false;
            const lines = answer.results.length;
            status(lines + " line" + (lines === 1 ? "" : "s") + " translated" + (beam > 1 ? " (beam " + beam + ")" : " (greedy)"));
          } catch (e) {
            status(String(e.message || e), true);
          } finally {
            $("translate").disabled = false;
          }
        }

        $("write").addEventListener("click", () => generate(false));
        $("continue").addEventListener("click", () => generate(true));
        $("stop").addEventListener("click", () => controller && controller.abort());
        $("classify").addEventListener("click", classify);
        $("translate").addEventListener("click", translate);
        document.addEventListener("keydown", e => {
          if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
          if (!$("classifier").hidden && !$("classify").disabled) {
            e.preventDefault();
            classify();
          } else if (!$("translator").hidden && !$("translate").disabled) {
            e.preventDefault();
            translate();
          } else if (!$("writer").hidden && !$("write").disabled) {
            e.preventDefault();
            generate(false);
          }
        });
        """
}
