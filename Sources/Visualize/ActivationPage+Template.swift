// The page's style sheet and script. Static text: all data arrives through the
// JSON element, and the script only ever sets `textContent`, attributes it
// computes itself, and style properties.

extension ActivationPage {
    static let style = #"""
    :root { --bg: #f7f7f5; --fg: #1f1f1f; --muted: #6a6a6a; --line: #e0e0dc; --accent: #2166ac; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg);
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
    header { padding: 18px 24px 10px; }
    h1 { font-size: 20px; margin: 0 0 3px; font-weight: 650; letter-spacing: -0.01em; }
    .meta { color: var(--muted); margin: 0; font-size: 13px; }
    .meta b { color: var(--fg); font-weight: 600; }
    .warn { color: #8a5300; }
    .controls { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: center;
      padding: 9px 24px; background: var(--bg); border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
    .controls label { font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
    select, input, button { font: inherit; font-size: 13px; color: var(--fg); }
    select, input[type=number] { padding: 3px 6px; border: 1px solid #c9c9c4; border-radius: 5px; background: #fff; }
    input[type=number] { width: 5.2em; font-variant-numeric: tabular-nums; }
    button { border: 1px solid #c9c9c4; background: #fff; border-radius: 5px; padding: 3px 9px; cursor: pointer; }
    button:hover { background: #eef3fa; }
    .unitbox { display: flex; gap: 4px; align-items: center; }
    .scale { display: flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
    .scale .bar { width: 150px; height: 12px; border-radius: 3px; border: 1px solid #d4d4d0;
      background: linear-gradient(to right, #b2182b, #ef8a62, #f7f7f7, #67a9cf, #2166ac); }
    .unitinfo { font-size: 12px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; }
    .chip { display: inline-block; padding: 0 7px; border-radius: 9px; background: #ecece8; color: #333; font-variant-numeric: tabular-nums; }
    .chip.strong { background: #dbe8f5; color: #123d66; }
    .help { font-size: 12px; color: var(--muted); padding: 6px 24px 0; margin: 0; }
    main { display: grid; grid-template-columns: minmax(0, 1fr) 310px; gap: 22px; padding: 12px 24px 40px; align-items: start; }
    @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
    .text { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px;
      font: 15px/1.8 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Noto Sans Mono", "Noto Sans Mono CJK SC", monospace;
      white-space: pre-wrap; overflow-wrap: anywhere; }
    .line { min-height: 1.8em; }
    .ch { padding: 3px 0; cursor: default; }
    .ch.nl { color: #a0a0a0; font-size: 11px; padding: 3px 2px; }
    .ch.esc { font-size: 10px; color: #666; outline: 1px dotted #aaa; outline-offset: -1px; }
    .ch.unk { background-image: repeating-linear-gradient(135deg, #d8d8d8 0 2px, transparent 2px 5px); color: #777; }
    .ch.hover { outline: 2px solid #111; outline-offset: 0; border-radius: 1px; }
    aside { position: sticky; top: 62px; max-height: calc(100vh - 76px); overflow: auto; background: #fff;
      border: 1px solid var(--line); border-radius: 8px; padding: 12px 12px 4px; }
    aside h2 { font-size: 14px; margin: 0 0 2px; }
    aside > p { font-size: 11.5px; color: var(--muted); margin: 0 0 10px; }
    .feature { margin-bottom: 12px; }
    .feature h3 { font-size: 12.5px; margin: 0; font-weight: 650; }
    .feature p { margin: 0 0 3px; font-size: 11.5px; color: var(--muted); }
    .unitlink { display: grid; grid-template-columns: 1fr 64px 46px; align-items: center; gap: 8px; width: 100%; text-align: left;
      border: 1px solid transparent; background: transparent; padding: 1px 6px; border-radius: 4px; font-size: 12.5px;
      font-variant-numeric: tabular-nums; }
    .unitlink:hover { background: #eef3fa; }
    .unitlink.active { border-color: var(--accent); background: #e6eff9; }
    .unitlink .r { text-align: right; }
    .rbar { height: 6px; background: #eeeeea; border-radius: 3px; position: relative; overflow: hidden; }
    .rbar > i { position: absolute; top: 0; bottom: 0; left: 0; border-radius: 3px; }
    .tip { position: absolute; z-index: 10; background: #fff; border: 1px solid #c9c9c4; border-radius: 8px;
      box-shadow: 0 8px 28px rgba(0, 0, 0, 0.16); padding: 9px 11px 8px; font-size: 12.5px; width: 272px; pointer-events: none; }
    .tip .head { display: flex; gap: 10px; align-items: center; margin-bottom: 6px; }
    .tip .big { font: 20px/1.2 ui-monospace, "DejaVu Sans Mono", monospace; min-width: 1.6em; text-align: center;
      border-radius: 4px; padding: 2px 6px; border: 1px solid #ddd; }
    .tip .sub { color: var(--muted); font-size: 11.5px; }
    .tip .value { font-variant-numeric: tabular-nums; font-weight: 600; }
    .tip .label { color: var(--muted); font-size: 11px; margin: 4px 0 3px; text-transform: uppercase; letter-spacing: 0.04em; }
    .tip .row { display: grid; grid-template-columns: 2.8em 1fr 3.6em; gap: 8px; align-items: center; margin: 2px 0; }
    .tip .tok { font: 13px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; background: #f1f1ee; border-radius: 3px;
      text-align: center; padding: 0 3px; overflow: hidden; white-space: pre; }
    .tip .row.actual .tok { background: #d9efd9; box-shadow: inset 0 0 0 1px #4a9b4a; }
    .tip .pbar { height: 8px; background: #eeeeea; border-radius: 2px; overflow: hidden; }
    .tip .pbar > i { display: block; height: 100%; background: #5b8fc7; }
    .tip .row.actual .pbar > i { background: #4a9b4a; }
    .tip .p { text-align: right; font-variant-numeric: tabular-nums; }
    .tip .note { color: var(--muted); font-size: 11.5px; margin-top: 5px; }
    """#

    static let script = #"""
    (function () {
      'use strict';
      var data = JSON.parse(document.getElementById('charrnn-data').textContent);
      var N = data.chars.length, K = data.k;
      var LINE_BREAKS = { '\n': 1, '\r\n': 1, '\r': 1, '\u2028': 1, '\u2029': 1 };

      function el(tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) e.className = cls;
        if (text !== undefined && text !== null) e.textContent = text;
        return e;
      }
      function signed(x, digits) { return (x >= 0 ? '+' : '\u2212') + Math.abs(x).toFixed(digits); }
      function percent(permille) { return (permille / 10).toFixed(permille >= 100 ? 0 : 1) + '%'; }

      // Activations: int8, unit-major, base64.
      var states = data.states.map(function (s) {
        var bin = atob(s.data), values = new Int8Array(bin.length);
        for (var i = 0; i < bin.length; i++) values[i] = (bin.charCodeAt(i) << 24) >> 24;
        return { layer: s.layer, kind: s.kind, label: s.label, scales: s.scales, values: values };
      });
      function stateOf(layer, kind) {
        for (var i = 0; i < states.length; i++) if (states[i].layer === layer && states[i].kind === kind) return states[i];
        return states[0];
      }
      var hasCell = states.some(function (s) { return s.kind === 'c'; });
      var current = { layer: data.initial.layer, kind: data.initial.kind, unit: data.initial.unit };

      // Diverging red - white - blue (ColorBrewer RdBu), one colour per int8 level.
      var STOPS = [[-1, [178, 24, 43]], [-0.5, [239, 138, 98]], [0, [247, 247, 247]], [0.5, [103, 169, 207]], [1, [33, 102, 172]]];
      function colour(t) {
        t = Math.max(-1, Math.min(1, t));
        for (var s = 1; s < STOPS.length; s++) {
          if (t <= STOPS[s][0]) {
            var a = STOPS[s - 1], b = STOPS[s], f = (t - a[0]) / (b[0] - a[0]);
            return 'rgb(' + [0, 1, 2].map(function (j) { return Math.round(a[1][j] + f * (b[1][j] - a[1][j])); }).join(',') + ')';
          }
        }
        return 'rgb(33,102,172)';
      }
      var palette = [];
      for (var q = -127; q <= 127; q++) palette.push(colour(q / 127));
      function ink(q) { return Math.abs(q) > 80 ? '#fff' : ''; }

      // Header.
      var m = data.model;
      var header = el('header');
      header.appendChild(el('h1', null, 'Hidden-unit activations'));
      var meta = el('p', 'meta');
      meta.appendChild(el('b', null, data.source));
      meta.appendChild(document.createTextNode(' \u00b7 ' + N.toLocaleString('en') + ' characters \u00b7 ' +
        m.cell.toUpperCase() + (m.cell === 'rnn' ? ' (' + m.activation + ')' : '') + ', ' + m.layers + ' layer' +
        (m.layers === 1 ? '' : 's') + ' \u00d7 ' + m.hidden + ' units, vocabulary of ' + m.vocabulary + ' ' +
        (m.tokenizer === 'grapheme' ? 'graphemes' : m.tokenizer + 's') + ' \u00b7 ' + data.checkpoint));
      if (data.totalChars > N) {
        meta.appendChild(el('span', 'warn', ' \u00b7 showing the first ' + N.toLocaleString('en') + ' of ' +
          data.totalChars.toLocaleString('en') + ' characters'));
      }
      header.appendChild(meta);
      document.body.appendChild(header);

      // Controls.
      var controls = el('div', 'controls');
      var layerSelect = el('select');
      layerSelect.id = 'layer';
      for (var l = 0; l < m.layers; l++) {
        var name = 'layer ' + l + (m.layers > 1 && l === 0 ? ' (input side)' : m.layers > 1 && l === m.layers - 1 ? ' (top)' : '');
        var o = el('option', null, name);
        o.value = String(l);
        layerSelect.appendChild(o);
      }
      var kindSelect = el('select');
      kindSelect.id = 'kind';
      [['h', 'output h'], ['c', 'cell state c']].forEach(function (k) {
        if (k[0] === 'c' && !hasCell) return;
        var o = el('option', null, k[1]);
        o.value = k[0];
        kindSelect.appendChild(o);
      });
      kindSelect.disabled = !hasCell;
      var unitInput = el('input');
      unitInput.type = 'number';
      unitInput.id = 'unit';
      unitInput.min = '0';
      unitInput.max = String(m.hidden - 1);
      var prev = el('button', null, '\u25c0'), next = el('button', null, '\u25b6');
      prev.title = 'previous unit (\u2190)';
      next.title = 'next unit (\u2192)';
      function labelled(text, control) {
        var lab = el('label', null, text);
        lab.appendChild(control);
        return lab;
      }
      controls.appendChild(labelled('Layer', layerSelect));
      controls.appendChild(labelled('State', kindSelect));
      var unitBox = el('span', 'unitbox');
      unitBox.appendChild(prev);
      unitBox.appendChild(unitInput);
      unitBox.appendChild(next);
      controls.appendChild(labelled('Unit (0\u2013' + (m.hidden - 1) + ')', unitBox));
      var scale = el('span', 'scale');
      var scaleLow = el('span', null, '\u22121'), scaleHigh = el('span', null, '+1');
      scale.appendChild(scaleLow);
      scale.appendChild(el('span', 'bar'));
      scale.appendChild(scaleHigh);
      controls.appendChild(scale);
      var unitInfo = el('span', 'unitinfo');
      controls.appendChild(unitInfo);
      document.body.appendChild(controls);
      document.body.appendChild(el('p', 'help',
        'Each character is coloured by the chosen unit\u2019s value right after the model reads it: red negative, ' +
        'white zero, blue positive. Hover a character for the model\u2019s top ' + K + ' guesses for the next one. ' +
        '\u2190 \u2192 step through units; the list on the right ranks units by how closely they follow simple features.'));

      // The text: one line element per line (its own direction), one span per character.
      var main = el('main');
      var textBox = el('section', 'text');
      textBox.id = 'text';
      textBox.setAttribute('aria-label', 'text coloured by activation');
      var spans = new Array(N);
      var line = el('div', 'line');
      line.dir = 'auto';
      for (var i = 0; i < N; i++) {
        var c = data.chars[i], span;
        if (LINE_BREAKS[c]) {
          span = el('span', 'ch nl', '\u21b5');
        } else if (Object.prototype.hasOwnProperty.call(data.shown, String(i))) {
          span = el('span', 'ch esc', data.shown[String(i)]);
        } else {
          span = el('span', 'ch', c);
        }
        if (data.ids[i] < 0) span.className += ' unk';
        span.setAttribute('data-i', String(i));
        spans[i] = span;
        line.appendChild(span);
        if (LINE_BREAKS[c]) {
          textBox.appendChild(line);
          line = el('div', 'line');
          line.dir = 'auto';
        }
      }
      if (line.childNodes.length) textBox.appendChild(line);
      main.appendChild(textBox);

      // Units that follow simple features.
      var side = el('aside');
      side.appendChild(el('h2', null, 'Units that follow simple features'));
      side.appendChild(el('p', null, "Pearson's r between each unit and a feature of the text, over every layer" +
        (hasCell ? ' and both h and c' : '') + '; |r| near 1 means the unit tracks it. Click to show that unit.'));
      var links = [];
      data.features.forEach(function (f) {
        var box = el('div', 'feature');
        box.appendChild(el('h3', null, f.name));
        box.appendChild(el('p', null, f.explanation));
        if (!f.units.length) box.appendChild(el('p', null, 'constant in this text: nothing to correlate'));
        f.units.forEach(function (u) {
          var b = el('button', 'unitlink');
          b.type = 'button';
          b.appendChild(el('span', null, 'L' + u.layer + ' ' + u.kind + ' \u00b7 unit ' + u.unit));
          b.title = 'layer ' + u.layer + ', ' + (u.kind === 'c' ? 'cell state c' : 'output h') + ', unit ' + u.unit + ': r = ' + u.r.toFixed(3);
          var bar = el('span', 'rbar'), fill = el('i');
          fill.style.width = Math.round(Math.abs(u.r) * 100) + '%';
          fill.style.background = u.r >= 0 ? '#2166ac' : '#b2182b';
          bar.appendChild(fill);
          b.appendChild(bar);
          b.appendChild(el('span', 'r', signed(u.r, 2)));
          b.addEventListener('click', function () { select(u.layer, u.kind, u.unit); });
          links.push({ button: b, unit: u });
          box.appendChild(b);
        });
        side.appendChild(box);
      });
      main.appendChild(side);
      document.body.appendChild(main);

      var tip = el('div', 'tip');
      tip.hidden = true;
      tip.setAttribute('role', 'tooltip');
      document.body.appendChild(tip);

      // Correlations of the shown unit with every feature, computed here for any unit.
      function pearson(xs, ys) {
        var n = xs.length, mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0, j;
        if (n < 2) return null;
        for (j = 0; j < n; j++) { mx += xs[j]; my += ys[j]; }
        mx /= n; my /= n;
        for (j = 0; j < n; j++) { var dx = xs[j] - mx, dy = ys[j] - my; sxy += dx * dy; sxx += dx * dx; syy += dy * dy; }
        return sxx > 1e-12 && syy > 1e-12 ? sxy / Math.sqrt(sxx * syy) : null;
      }
      var knownIndex = [];
      for (var j = 0; j < N; j++) if (data.ids[j] >= 0) knownIndex.push(j);

      function paint() {
        var s = stateOf(current.layer, current.kind), off = current.unit * N, v = s.values;
        for (var i = 0; i < N; i++) {
          var span = spans[i];
          if (data.ids[i] < 0) { span.style.backgroundColor = ''; span.style.color = ''; continue; }
          var q = v[off + i];
          span.style.backgroundColor = palette[q + 127];
          span.style.color = ink(q);
        }
        layerSelect.value = String(current.layer);
        kindSelect.value = current.kind;
        unitInput.value = String(current.unit);
        var unitScale = s.scales[current.unit];
        scaleLow.textContent = unitScale === 1 ? '\u22121' : '\u2212' + unitScale.toPrecision(3);
        scaleHigh.textContent = unitScale === 1 ? '+1' : '+' + unitScale.toPrecision(3);
        scale.title = s.label;
        links.forEach(function (l) {
          var u = l.unit;
          l.button.classList.toggle('active', u.layer === current.layer && u.kind === current.kind && u.unit === current.unit);
        });
        while (unitInfo.firstChild) unitInfo.removeChild(unitInfo.firstChild);
        var ys = knownIndex.map(function (i) { return v[off + i]; });
        var mean = ys.reduce(function (a, b) { return a + b; }, 0) / Math.max(1, ys.length) / 127 * unitScale;
        unitInfo.appendChild(el('span', null, 'mean ' + signed(mean, 2) + ' \u00b7 r with:'));
        data.features.forEach(function (f) {
          var r = pearson(knownIndex.map(function (i) { return f.values[i]; }), ys);
          var chip = el('span', 'chip' + (r !== null && Math.abs(r) >= 0.5 ? ' strong' : ''),
            f.name + ' ' + (r === null ? '\u2013' : signed(r, 2)));
          chip.title = f.explanation;
          unitInfo.appendChild(chip);
        });
        try {
          history.replaceState(null, '', '#layer=' + current.layer + '&state=' + current.kind + '&unit=' + current.unit);
        } catch (e) { /* some browsers refuse this for file: pages; the address is only a convenience */ }
      }
      function select(layer, kind, unit) {
        current.layer = Math.max(0, Math.min(m.layers - 1, layer | 0));
        current.kind = kind === 'c' && hasCell ? 'c' : 'h';
        current.unit = ((unit | 0) % m.hidden + m.hidden) % m.hidden;
        paint();
      }
      layerSelect.addEventListener('change', function () { select(+layerSelect.value, current.kind, current.unit); });
      kindSelect.addEventListener('change', function () { select(current.layer, kindSelect.value, current.unit); });
      unitInput.addEventListener('change', function () { select(current.layer, current.kind, +unitInput.value); });
      prev.addEventListener('click', function () { select(current.layer, current.kind, current.unit - 1); });
      next.addEventListener('click', function () { select(current.layer, current.kind, current.unit + 1); });
      document.addEventListener('keydown', function (e) {
        var t = e.target && e.target.tagName;
        if (t === 'INPUT' || t === 'SELECT' || e.altKey || e.ctrlKey || e.metaKey) return;
        if (e.key === 'ArrowLeft') { select(current.layer, current.kind, current.unit - 1); e.preventDefault(); }
        if (e.key === 'ArrowRight') { select(current.layer, current.kind, current.unit + 1); e.preventDefault(); }
      });

      // Hover: the value and the model's guesses for the next character.
      var hovered = null;
      function token(text) { return el('span', 'tok', text); }
      function drawn(i) {
        var c = data.chars[i];
        if (LINE_BREAKS[c]) return '\u21b5';
        if (c === ' ') return '\u2423';
        if (c === '\t') return '\u21e5';
        return Object.prototype.hasOwnProperty.call(data.shown, String(i)) ? data.shown[String(i)] : c;
      }
      function show(i, span) {
        if (hovered) hovered.classList.remove('hover');
        hovered = span;
        span.classList.add('hover');
        while (tip.firstChild) tip.removeChild(tip.firstChild);
        var s = stateOf(current.layer, current.kind);
        var head = el('div', 'head');
        var big = el('span', 'big', drawn(i));
        if (data.ids[i] >= 0) {
          var q = s.values[current.unit * N + i];
          big.style.backgroundColor = palette[q + 127];
          big.style.color = ink(q);
        }
        head.appendChild(big);
        var what = el('div');
        what.appendChild(el('div', 'sub', 'character ' + (i + 1).toLocaleString('en') + ' \u00b7 layer ' + current.layer +
          ' ' + current.kind + ' unit ' + current.unit));
        if (data.ids[i] >= 0) {
          var stored = s.values[current.unit * N + i];
          what.appendChild(el('div', 'value', (Math.abs(stored) === 127 && s.scales[current.unit] !== 1 ? (stored > 0 ? '\u2265 ' : '\u2264 ') : '') +
            signed(stored / 127 * s.scales[current.unit], 3)));
        } else {
          what.appendChild(el('div', 'value', 'not in the vocabulary'));
        }
        head.appendChild(what);
        tip.appendChild(head);
        if (data.ids[i] < 0) {
          tip.appendChild(el('div', 'note', 'The model has never seen this character: it was skipped and the state carried over.'));
        } else {
          tip.appendChild(el('div', 'label', 'next character: top ' + K + ' guesses'));
          var actual = i + 1 < N ? data.ids[i + 1] : -1, listed = false;
          for (var g = 0; g < K; g++) {
            var id = data.guesses[i * K + g];
            if (id < 0) break;
            var p = data.guessPermille[i * K + g];
            var row = el('div', 'row' + (id === actual ? ' actual' : ''));
            if (id === actual) listed = true;
            row.appendChild(token(data.vocabulary[id]));
            var bar = el('span', 'pbar'), fill = el('i');
            fill.style.width = (p / 10) + '%';
            bar.appendChild(fill);
            row.appendChild(bar);
            row.appendChild(el('span', 'p', percent(p)));
            tip.appendChild(row);
          }
          if (actual >= 0 && !listed && data.nextPermille[i] >= 0) {
            var miss = el('div', 'note', 'actually next: ');
            miss.appendChild(token(data.vocabulary[actual]));
            miss.appendChild(document.createTextNode(' at ' + percent(data.nextPermille[i])));
            tip.appendChild(miss);
          } else if (actual >= 0) {
            tip.appendChild(el('div', 'note', 'green: what actually comes next'));
          }
        }
        tip.hidden = false;
        var r = span.getBoundingClientRect(), w = tip.offsetWidth, h = tip.offsetHeight;
        var left = Math.min(Math.max(8, r.left + r.width / 2 - w / 2), window.innerWidth - w - 8);
        var top = r.bottom + 8;
        if (top + h > window.innerHeight - 8 && r.top - h - 8 > 0) top = r.top - h - 8;
        tip.style.left = (left + window.scrollX) + 'px';
        tip.style.top = (top + window.scrollY) + 'px';
      }
      textBox.addEventListener('mouseover', function (e) {
        var t = e.target;
        if (t && t.nodeType === 1 && t.hasAttribute('data-i')) show(+t.getAttribute('data-i'), t);
      });
      textBox.addEventListener('mouseleave', function () {
        tip.hidden = true;
        if (hovered) hovered.classList.remove('hover');
        hovered = null;
      });

      // A #layer=…&state=…&unit=… address (from a bookmark) wins over the page's own choice.
      var hash = {};
      (location.hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
        var p = kv.split('=');
        if (p.length === 2) hash[p[0]] = p[1];
      });
      if (hash.unit !== undefined && /^\d+$/.test(hash.unit)) {
        current.unit = Math.min(m.hidden - 1, +hash.unit);
        if (/^\d+$/.test(hash.layer || '')) current.layer = Math.min(m.layers - 1, +hash.layer);
        if (hash.state === 'c' && hasCell) current.kind = 'c';
        if (hash.state === 'h') current.kind = 'h';
      }
      select(current.layer, current.kind, current.unit);
      // #…&char=I opens the guesses of character I (1-based), for a link to one spot.
      if (/^\d+$/.test(hash.char || '') && +hash.char >= 1 && +hash.char <= N) {
        var at = spans[+hash.char - 1].getBoundingClientRect();
        if (at.top < 80 || at.bottom > window.innerHeight) spans[+hash.char - 1].scrollIntoView({ block: 'center' });
        show(+hash.char - 1, spans[+hash.char - 1]);
      }
      document.body.setAttribute('data-ready', 'true');
    })();
    """#
}
