// tsfn console: series list, charts through the drawing query, uploads, jobs. No build step.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // Element builder: h('div', {class: 'x', 'data-id': 1, onclick: f}, child, ...).
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat(2)) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const svgNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
    for (const c of kids) e.append(c);
    return e;
  }

  const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#c026d3', '#65a30d', '#78716c'];
  const OVERLAY = ['#111827', '#b45309', '#0f766e', '#4338ca'];
  const MARKER = '#dc2626';
  const MAX_SERIES = 8;
  const ID_RE = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

  const iso = (ms) => new Date(ms).toISOString();
  const parseT = (t) => Date.parse(t);
  const fmtCount = (n) => (n == null ? '' : Number(n).toLocaleString('en-US'));
  // Short UTC form for lists: the date alone at midnight, else date and time.
  function shortT(t) {
    if (!t) return '—';
    const s = String(t);
    if (s.endsWith('T00:00:00.000Z')) return s.slice(0, 10);
    return s.replace('T', ' ').replace(/(\.000)?Z$/, '');
  }
  const fmtV = (v) => (v == null ? '—' : typeof v === 'number' ? String(v) : String(v));

  // ---------------------------------------------------------------- status line
  let statusTimer = 0;
  function notify(msg, kind = 'error') {
    const st = $('#status');
    st.textContent = msg;
    st.className = kind;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { st.textContent = ''; st.className = ''; }, kind === 'error' ? 12000 : 5000);
  }

  // ---------------------------------------------------------------- API client
  const KEY_STORE = 'tsfn.apiKey';
  let apiKey = sessionStorage.getItem(KEY_STORE) || '';
  let keyAsk = null;

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || `HTTP ${status}`);
      this.status = status;
      this.code = e.code;
      this.field = e.field;
    }
  }

  // One form for every request that needs the key; all of them wait for it.
  function askKey(wrong) {
    if (keyAsk) return keyAsk;
    const dlg = $('#key-dialog');
    $('#key-error').hidden = !wrong;
    dlg.hidden = false;
    const input = $('#key-input');
    input.value = '';
    setTimeout(() => input.focus(), 0);
    keyAsk = new Promise((resolve) => {
      const form = $('#key-form');
      const done = (e) => {
        e.preventDefault();
        const k = input.value.trim();
        if (!k) return;
        apiKey = k;
        sessionStorage.setItem(KEY_STORE, k);
        dlg.hidden = true;
        $('#key-change').hidden = false;
        form.removeEventListener('submit', done);
        keyAsk = null;
        resolve();
      };
      form.addEventListener('submit', done);
    });
    return keyAsk;
  }

  async function api(path, opts = {}) {
    for (;;) {
      const headers = new Headers(opts.headers || {});
      const used = apiKey;
      if (used) headers.set('Authorization', 'Bearer ' + used);
      let res;
      try {
        res = await fetch(path, { method: opts.method, body: opts.body, signal: opts.signal, headers });
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiError(0, { error: { message: `cannot reach the server (${e.message})` } });
      }
      if (res.status === 401) {
        // A key typed meanwhile by another request's prompt: just retry with it.
        if (apiKey === used) await askKey(!!used);
        continue;
      }
      if (!res.ok) {
        let body = null;
        try { body = await res.json(); } catch (_) { /* not JSON */ }
        throw new ApiError(res.status, body);
      }
      if (opts.raw) return res;
      if (res.status === 204) return null;
      return res.json();
    }
  }
  const isAbort = (e) => e && e.name === 'AbortError';

  // ---------------------------------------------------------------- state
  const state = {
    series: [],            // GET /series
    byId: new Map(),
    ids: [],               // series on the chart
    view: null,            // {from, to} in ms: an explicit zoom; null = the whole span
    shown: null,           // {from, to} in ms on the x scale now
    span: null,            // the whole span of the chart's series (from the unbounded drawing)
    data: new Map(),       // id -> {t: Float64Array ms, v: Float64Array}
    overlays: [],          // job results drawn over the series
    job: null,             // the open job id
  };
  const colorOf = new Map(); // series id -> colour, stable while it stays on the chart

  // ---------------------------------------------------------------- URL (share)
  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const ids = (p.get('s') || '').split(',').map((x) => x.trim()).filter((x) => ID_RE.test(x));
    const from = parseT(p.get('from') || ''), to = parseT(p.get('to') || '');
    return {
      ids: [...new Set(ids)].slice(0, MAX_SERIES),
      view: Number.isFinite(from) && Number.isFinite(to) && to > from ? { from, to } : null,
      job: /^[0-9a-fA-F-]{36}$/.test(p.get('job') || '') ? p.get('job') : null,
    };
  }
  function writeHash() {
    const parts = [];
    if (state.ids.length) parts.push('s=' + state.ids.join(','));
    if (state.view) parts.push('from=' + iso(state.view.from), 'to=' + iso(state.view.to));
    if (state.job) parts.push('job=' + state.job);
    const url = location.pathname + location.search + (parts.length ? '#' + parts.join('&') : '');
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
  }

  // ---------------------------------------------------------------- series list
  async function loadSeries() {
    const all = [];
    let cursor = null;
    do {
      const r = await api('/series' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
      all.push(...(r.series || []));
      cursor = r.next_cursor || null;
    } while (cursor);
    state.series = all;
    state.byId = new Map(all.map((x) => [x.id, x]));
    $('#series-total').textContent = `(${all.length})`;
    const dl = $('#series-ids');
    dl.replaceChildren(...all.map((x) => h('option', { value: x.id })));
    renderSeries();
    renderPicker();
  }

  function seriesText(x) {
    const labels = Object.entries(x.labels || {}).map(([k, v]) => `${k}=${v} ${k}: ${v}`).join(' ');
    return `${x.id} ${x.name || ''} ${labels}`.toLowerCase();
  }

  function renderSeries() {
    const q = $('#series-filter').value.trim().toLowerCase();
    const list = $('#series-list');
    const items = state.series.filter((x) => !q || q.split(/\s+/).every((w) => seriesText(x).includes(w)));
    list.replaceChildren(...items.map((x) => {
      const on = state.ids.includes(x.id);
      const labels = Object.entries(x.labels || {});
      return h('li', {
        class: on ? 'on' : '', 'data-testid': 'series-item', 'data-id': x.id, 'data-count': x.count,
      },
      h('button', {
        type: 'button', class: 'open', 'data-testid': 'series-open', 'data-id': x.id,
        title: `Chart ${x.id} alone` + (x.description ? `\n${x.description}` : ''),
        onclick: () => openSeries([x.id]),
      },
      on ? h('span', { class: 'dot', 'data-color': colorOf.get(x.id) }) : null,
      h('span', { class: 'id', text: x.id }),
      x.unit ? h('span', { class: 'unit', text: x.unit }) : null,
      h('span', { class: 'name', text: x.name || '(no name)' })),
      h('button', {
        type: 'button', class: 'add', 'data-testid': 'series-add', 'data-id': x.id,
        title: on ? 'Remove from the chart' : 'Add to the chart',
        onclick: () => (on ? removeSeries(x.id) : addSeries(x.id)),
      }, on ? '−' : '+'),
      h('div', { class: 'meta' },
        h('span', { class: 'count', 'data-testid': 'series-count', text: `${fmtCount(x.count)} points` }),
        h('span', { title: `${x.first || 'none'} → ${x.last || 'none'}`, text: `${shortT(x.first)} → ${shortT(x.last)}` })),
      labels.length ? h('div', { class: 'labels' }, labels.map(([k, v]) => h('span', { class: 'chip', title: `${k}: ${v}`, text: `${k}: ${v}` }))) : null);
    }));
    for (const d of $$('.dot', list)) d.style.background = d.dataset.color;
    if (!items.length) list.append(h('li', { class: 'none', text: state.series.length ? 'No series matches the filter.' : 'No series yet: upload one below.' }));
  }

  // ---------------------------------------------------------------- chart
  const chartEl = $('#chart');
  let chart = null;
  let chartSig = '';
  let firstMarked = false;
  let fetchCtl = null;
  let fetchTimer = 0;

  function assignColors() {
    for (const id of [...colorOf.keys()]) if (!state.ids.includes(id)) colorOf.delete(id);
    for (const id of state.ids) {
      if (colorOf.has(id)) continue;
      const used = new Set(colorOf.values());
      colorOf.set(id, PALETTE.find((c) => !used.has(c)) || PALETTE[0]);
    }
  }

  function openSeries(ids, view = null) {
    state.ids = ids.slice(0, MAX_SERIES);
    state.view = view;
    state.span = null;
    state.shown = view;
    state.overlays = state.overlays.filter((o) => state.ids.includes(o.base));
    chartChanged();
  }
  function addSeries(id) {
    if (state.ids.includes(id)) return;
    if (state.ids.length >= MAX_SERIES) { notify(`At most ${MAX_SERIES} series on one chart: remove one first.`); return; }
    state.ids.push(id);
    if (!state.view) state.span = null;
    chartChanged();
  }
  function removeSeries(id) {
    state.ids = state.ids.filter((x) => x !== id);
    state.overlays = state.overlays.filter((o) => o.base !== id);
    if (!state.ids.length) { state.view = null; state.span = null; state.shown = null; }
    if (!state.view) state.span = null;
    chartChanged();
  }
  function chartChanged() {
    assignColors();
    writeHash();
    renderSeries();
    renderPicker();
    fetchChart();
  }

  function plotWidth() {
    if (chart) return chart.over.clientWidth || chart.bbox.width / devicePixelRatio;
    return Math.max(200, chartEl.clientWidth - 120);
  }
  const maxPoints = () => Math.max(2, Math.min(100000, Math.round(2 * plotWidth())));

  function scheduleFetch(delay = 50) {
    clearTimeout(fetchTimer);
    fetchTimer = setTimeout(fetchChart, delay);
  }

  // Every chart point comes from the drawing query: at most max_points, the least and greatest
  // point of each of max_points/2 buckets over the range asked (the whole series without one).
  async function fetchChart() {
    clearTimeout(fetchTimer);
    if (fetchCtl) fetchCtl.abort();
    fetchCtl = null;
    writeHash();
    const ids = state.ids.slice();
    if (!ids.length) { state.data = new Map(); drawChart(); return; }
    const ctl = fetchCtl = new AbortController();
    const view = state.view;
    const n = maxPoints();
    $('#chart-busy').hidden = false;
    chartEl.dataset.state = chart ? 'refreshing' : 'loading';
    try {
      const answers = await Promise.all(ids.map((id) => {
        const q = (view ? `from=${iso(view.from)}&to=${iso(view.to)}&` : '') + `max_points=${n}`;
        return api(`/series/${encodeURIComponent(id)}/points?${q}`, { signal: ctl.signal });
      }));
      if (ctl !== fetchCtl) return;
      const data = new Map();
      let lo = Infinity, hi = -Infinity;
      answers.forEach((a, i) => {
        const pts = a.points || [];
        const t = new Float64Array(pts.length), v = new Float64Array(pts.length);
        for (let j = 0; j < pts.length; j++) { t[j] = parseT(pts[j].t); v[j] = pts[j].v; }
        data.set(ids[i], { t, v, bucket: a.bucket_ms });
        if (a.from) lo = Math.min(lo, parseT(a.from));
        if (a.to) hi = Math.max(hi, parseT(a.to));
      });
      state.data = data;
      if (!view) {
        state.span = Number.isFinite(lo) && Number.isFinite(hi) ? { from: lo, to: Math.max(hi, lo + 1) } : null;
        state.shown = state.span;
      }
      chartEl.dataset.fetchedFrom = view ? iso(view.from) : answers[0] && answers[0].from ? answers[0].from : '';
      chartEl.dataset.fetchedTo = view ? iso(view.to) : answers[0] && answers[0].to ? answers[0].to : '';
      chartEl.dataset.maxPoints = n;
      drawChart();
    } catch (e) {
      if (isAbort(e)) return;
      if (ctl === fetchCtl) chartEl.dataset.state = 'error';
      if (e.status === 404) {
        notify(`${e.message}: removed from the chart.`);
        const gone = ids.find((id) => e.message.includes(`"${id}"`));
        if (gone) removeSeries(gone);
      } else notify(`Chart: ${e.message}`);
    } finally {
      if (ctl === fetchCtl) { fetchCtl = null; $('#chart-busy').hidden = true; }
    }
  }

  // Indices [i0, i1) of the sorted times t inside [from, to), widened by one point each side so
  // lines run to the edges.
  function lowerBound(t, x) {
    let lo = 0, hi = t.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (t[m] < x) lo = m + 1; else hi = m; }
    return lo;
  }
  // Overlay points for the range shown: least and greatest of n/2 buckets when there are more.
  function windowed(o, from, to, n, pad) {
    const { t, v } = o;
    let i0 = lowerBound(t, from), i1 = lowerBound(t, to);
    if (pad) { i0 = Math.max(0, i0 - 1); i1 = Math.min(t.length, i1 + 1); }
    if (i1 - i0 <= n) return { t: t.slice(i0, i1), v: v.slice(i0, i1) };
    const nb = Math.max(1, n >> 1), lo = t[i0], w = (t[i1 - 1] - lo + 1) / nb;
    const outT = [], outV = [];
    let b = -1, imin = -1, imax = -1;
    const flush = () => {
      if (imin < 0) return;
      const a = Math.min(imin, imax), c = Math.max(imin, imax);
      outT.push(t[a]); outV.push(v[a]);
      if (c !== a) { outT.push(t[c]); outV.push(v[c]); }
    };
    for (let i = i0; i < i1; i++) {
      const bi = Math.floor((t[i] - lo) / w);
      if (bi !== b) { flush(); b = bi; imin = imax = i; continue; }
      if (v[i] < v[imin]) imin = i;
      if (v[i] > v[imax]) imax = i;
    }
    flush();
    return { t: outT, v: outV };
  }

  // uPlot takes one x array: merge the times of every column, null where a column has none.
  function align(cols) {
    let n = 0;
    for (const c of cols) n += c.t.length;
    const all = new Float64Array(n);
    let k = 0;
    for (const c of cols) { all.set(c.t, k); k += c.t.length; }
    all.sort();
    const xs = [];
    for (let i = 0; i < n; i++) if (i === 0 || all[i] !== all[i - 1]) xs.push(all[i]);
    const ys = cols.map((c) => {
      const y = new Array(xs.length).fill(null);
      let j = 0;
      for (let i = 0; i < c.t.length; i++) {
        while (xs[j] < c.t[i]) j++;
        y[j] = c.v[i];
      }
      return y;
    });
    return [xs.map((ms) => ms / 1000), ...ys];
  }

  function unitOf(id) { const m = state.byId.get(id); return (m && m.unit) || ''; }

  function scalesFor() {
    const units = [...new Set(state.ids.map(unitOf))];
    const scaleOf = (id) => (units.length <= 2 && units.indexOf(unitOf(id)) === 1 ? 'y2' : 'y');
    const label = (us) => us.map((u) => u || 'value').join(', ');
    const axes = [{ label: units.length <= 2 ? label([units[0]]) : label(units), scale: 'y' }];
    if (units.length === 2) axes.push({ label: label([units[1]]), scale: 'y2', side: 1 });
    return { scaleOf, axes };
  }

  function chartHeight() { return Math.max(240, Math.min(440, window.innerHeight - 430)); }

  function buildOpts(cols) {
    const { scaleOf, axes } = scalesFor();
    const series = [{ label: 'time (UTC)', value: (u, v) => (v == null ? '' : iso(Math.round(v * 1000))) }];
    for (const c of cols) {
      const base = {
        label: c.label, scale: scaleOf(c.base), stroke: c.color, spanGaps: true,
        value: (u, v) => fmtV(v),
      };
      if (c.kind === 'markers') {
        Object.assign(base, {
          width: 0, paths: () => null,
          points: { show: true, size: 10, width: 2, stroke: c.color, fill: c.color },
        });
      } else {
        Object.assign(base, { width: c.kind === 'series' ? 2 : 2.5, points: { show: false } });
        if (c.dash) base.dash = c.dash;
      }
      series.push(base);
    }
    const grid = { stroke: '#e5e7eb', width: 1 };
    return {
      width: chartEl.clientWidth,
      height: chartHeight(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      legend: { show: false },
      scales: {
        x: { time: true, range: (u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: { auto: true },
        y2: { auto: true },
      },
      axes: [
        { grid, stroke: '#4b5563', ticks: grid },
        ...axes.map((a) => ({
          scale: a.scale, side: a.side || 3, label: a.label, labelSize: 22, grid: a.side ? { show: false } : grid,
          stroke: '#4b5563', ticks: grid, size: 60,
        })),
      ],
      series,
      cursor: {
        hover: { skip: [null, undefined], prox: 40 },
        drag: { x: true, y: false, setScale: true, dist: 4 },
        bind: { dblclick: () => () => { resetZoom(); return null; } },
      },
      hooks: {
        setScale: [onScale],
        setCursor: [showCursor],
        draw: [onDraw],
      },
    };
  }

  // The columns drawn: the chart's series, then the open job's overlays over the range shown.
  function columns() {
    const cols = [];
    for (const id of state.ids) {
      const d = state.data.get(id) || { t: new Float64Array(0), v: new Float64Array(0) };
      cols.push({ key: id, base: id, label: id, color: colorOf.get(id), kind: 'series', t: d.t, v: d.v });
    }
    const r = state.shown;
    const n = maxPoints();
    for (const o of state.overlays) {
      if (!state.ids.includes(o.base)) continue;
      const w = r ? windowed(o, r.from, r.to, n, o.kind !== 'markers') : o;
      cols.push({ ...o, t: Float64Array.from(w.t), v: Array.from(w.v) });
    }
    return cols;
  }

  function drawChart() {
    const cols = columns();
    renderLegend(cols);
    updateRange();
    chartEl.dataset.series = state.ids.join(',');
    if (!state.ids.length) {
      if (chart) { chart.destroy(); chart = null; chartSig = ''; }
      chartEl.replaceChildren(h('p', { class: 'placeholder', text: 'Pick a series on the left to draw it.' }));
      chartEl.dataset.state = 'empty';
      return;
    }
    const data = align(cols);
    const sig = cols.map((c) => `${c.key}/${c.color}/${c.kind}`).join('|') + '|' + state.ids.map(unitOf).join(',');
    if (!chart || sig !== chartSig) {
      if (chart) chart.destroy();
      chartEl.replaceChildren();
      chartSig = sig;
      chart = new uPlot(buildOpts(cols), data, chartEl);
      wirePan(chart);
    } else {
      chart.setData(data, false);
    }
    if (state.shown) chart.setScale('x', { min: state.shown.from / 1000, max: state.shown.to / 1000 });
    else chart.setData(data, true);
    const pts = cols.reduce((a, c) => a + (c.kind === 'series' ? c.t.length : 0), 0);
    chartEl.dataset.points = pts;
    chartEl.dataset.state = pts ? 'ready' : 'nodata';
    if (!pts) notify('No points in this range.', 'info');
  }

  function onDraw(u) {
    chartEl.dataset.draws = (+chartEl.dataset.draws || 0) + 1;
    if (!firstMarked && chartEl.dataset.state === 'ready') {
      firstMarked = true;
      performance.mark('tsfn-first-chart');
    }
  }

  // A zoom, pan or wheel by the user moves the x scale away from what we set: follow it.
  function onScale(u, key) {
    if (key !== 'x' || u !== chart) return;
    const from = Math.round(u.scales.x.min * 1000), to = Math.round(u.scales.x.max * 1000);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return;
    const sh = state.shown;
    if (sh && Math.abs(sh.from - from) <= 1 && Math.abs(sh.to - to) <= 1) return;
    state.view = { from, to };
    state.shown = state.view;
    updateRange();
    scheduleFetch(50); // which also writes the URL: not on every mouse move of a pan
  }

  function setX(from, to) {
    if (!chart) return;
    chart.setScale('x', { min: from / 1000, max: to / 1000 });
  }

  function resetZoom() {
    if (!state.ids.length) return;
    state.view = null;
    if (state.span) { state.shown = state.span; setX(state.span.from, state.span.to); }
    writeHash();
    updateRange();
    fetchChart();
  }

  // Shift+drag pans (uPlot never sees that mousedown); the wheel zooms around the cursor.
  function wirePan(u) {
    const wrap = u.root;
    wrap.addEventListener('mousedown', (e) => {
      if (!e.shiftKey || e.button !== 0 || !u.over.contains(e.target)) return;
      e.stopPropagation();
      e.preventDefault();
      const x0 = e.clientX, min0 = u.scales.x.min, max0 = u.scales.x.max;
      const w = u.over.clientWidth || 1;
      u.over.classList.add('panning');
      const move = (ev) => {
        const d = ((ev.clientX - x0) / w) * (max0 - min0);
        u.setScale('x', { min: min0 - d, max: max0 - d });
      };
      const up = () => {
        u.over.classList.remove('panning');
        window.removeEventListener('mousemove', move);
        window.removeEventListener('mouseup', up);
      };
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    }, true);
    u.over.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = u.over.getBoundingClientRect();
      const { min, max } = u.scales.x;
      const c = u.posToVal(e.clientX - rect.left, 'x');
      const f = e.deltaY < 0 ? 0.8 : 1.25;
      let nmin = c - (c - min) * f, nmax = c + (max - c) * f;
      if (nmax - nmin < 0.002) return; // a few ms is as close as it goes
      u.setScale('x', { min: nmin, max: nmax });
    }, { passive: false });
  }

  function updateRange() {
    const r = $('#range');
    const sh = state.shown;
    if (!sh || !state.ids.length) { r.textContent = ''; delete r.dataset.from; delete r.dataset.to; return; }
    r.dataset.from = iso(sh.from);
    r.dataset.to = iso(sh.to);
    r.textContent = `${iso(sh.from).replace('T', ' ').replace('Z', '')} → ${iso(sh.to).replace('T', ' ').replace('Z', '')} UTC` + (state.view ? ' (zoomed)' : ' (whole span)');
    $('#zoom-reset').disabled = !state.view;
  }

  // ---------------------------------------------------------------- legend and cursor readout
  function renderLegend(cols) {
    const lg = $('#legend');
    lg.replaceChildren(
      h('div', { class: 'lg-time', id: 'cursor-time', 'data-testid': 'cursor-time' }, 'Point at the chart to read exact values.'),
      ...cols.map((c, i) => {
        const meta = state.byId.get(c.base);
        const unit = (meta && meta.unit) || '';
        const item = h('div', {
          class: `lg-item ${c.kind}`, 'data-testid': 'legend-item', 'data-series': c.key, 'data-kind': c.kind,
          'data-color': c.color, 'data-points': c.t.length, 'data-unit': unit,
        },
        h('span', { class: 'sw' }),
        h('span', { class: 'lbl', title: c.kind === 'series' && meta ? meta.name || c.key : c.label, text: c.kind === 'series' ? c.key : c.label }),
        h('span', { class: 'val', 'data-testid': 'legend-value', 'data-idx': i + 1, text: '' }),
        h('button', {
          type: 'button', class: 'x', title: c.kind === 'series' ? 'Remove from the chart' : 'Remove this job result from the chart',
          onclick: () => (c.kind === 'series' ? removeSeries(c.key) : closeJob()),
        }, '×'));
        item.querySelector('.sw').style.background = c.kind === 'markers' ? 'transparent' : c.color;
        item.querySelector('.sw').style.borderColor = c.color;
        return item;
      }));
  }

  function showCursor(u) {
    const tEl = $('#cursor-time');
    if (!tEl) return;
    const left = u.cursor.left;
    if (left == null || left < 0) { tEl.textContent = 'Point at the chart to read exact values.'; return; }
    tEl.textContent = 'cursor ' + iso(Math.round(u.posToVal(left, 'x') * 1000)).replace('T', ' ');
    const vals = $$('#legend .val');
    vals.forEach((el) => {
      const si = +el.dataset.idx;
      const idx = u.cursor.idxs ? u.cursor.idxs[si] : null;
      const ys = u.data[si];
      if (idx == null || !ys || ys[idx] == null) { el.textContent = ''; el.removeAttribute('data-t'); return; }
      const t = iso(Math.round(u.data[0][idx] * 1000));
      const unit = el.parentNode.dataset.unit;
      el.textContent = `${fmtV(ys[idx])}${unit ? ' ' + unit : ''} at ${t.replace('T', ' ')}`;
      el.dataset.t = t;
    });
  }

  // ---------------------------------------------------------------- upload
  let upFile = null;
  function pickFile(f) {
    upFile = f || null;
    const id = $('#upload-series');
    if (f && !id.value.trim()) {
      const base = f.name.replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 128);
      id.value = base || 'upload';
    }
    $('#upload-go').disabled = !f;
    $('#drop').classList.toggle('has-file', !!f);
    $('#upload-result').replaceChildren(f ? h('p', { class: 'muted', text: `${f.name}, ${fmtCount(f.size)} bytes: choose the series and press Upload.` }) : '');
  }

  function sniffType(name, head) {
    const n = name.toLowerCase();
    if (/\.csv$/.test(n)) return 'text/csv';
    if (/\.(ndjson|jsonl)$/.test(n)) return 'application/x-ndjson';
    const c = head.trimStart()[0];
    if (c === '{') return 'application/x-ndjson';
    if (c === '[') {
      // One [t, v] pair per line is NDJSON; anything else starting with '[' a JSON array.
      const first = head.trimStart().split(/\r?\n/)[0].trim();
      return /^\[[^\[\]]*\]$/.test(first) ? 'application/x-ndjson' : 'application/json';
    }
    return 'text/csv';
  }

  async function upload() {
    const f = upFile;
    const id = $('#upload-series').value.trim();
    const out = $('#upload-result');
    if (!f) return;
    if (!ID_RE.test(id)) {
      out.replaceChildren(h('div', { class: 'upload-error', 'data-testid': 'upload-error' },
        h('p', { text: 'Series ids are 1-128 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit.' })));
      return;
    }
    const head = await f.slice(0, 4096).text();
    const type = $('#upload-format').value || sniffType(f.name, head);
    $('#upload-go').disabled = true;
    out.replaceChildren(h('p', { class: 'muted', text: `Uploading ${f.name}…` }));
    try {
      const r = await api(`/series/${id}/points`, { method: 'POST', headers: { 'Content-Type': type }, body: f });
      out.replaceChildren(h('p', { class: 'ok', 'data-testid': 'upload-ok' },
        `Wrote ${fmtCount(r.written)} points to `, h('b', { text: r.series }), r.created ? ' (new series). ' : '. ',
        h('button', { type: 'button', class: 'ghost', onclick: () => openSeries([id]) }, 'Chart it')));
      await loadSeries();
      if (state.ids.includes(id)) fetchChart();
    } catch (e) {
      out.replaceChildren(await uploadError(e, f, type));
    } finally {
      $('#upload-go').disabled = !upFile;
    }
  }

  // The API names the failing line ("line N", from 1) of CSV and NDJSON bodies: show it.
  async function uploadError(e, f, type) {
    const box = h('div', { class: 'upload-error', 'data-testid': 'upload-error' },
      h('p', { class: 'msg' }, h('b', { text: `Nothing was written (${e.status || 'error'}): ` }), e.message));
    const m = /^line (\d+)$/.exec(e.field || '');
    if (m) {
      const n = +m[1];
      const lines = (await f.text()).split(/\r\n|\n|\r/);
      if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final line break
      const pre = h('pre', { class: 'context' });
      for (let i = Math.max(1, n - 2); i <= Math.min(lines.length, n + 2); i++) {
        const text = lines[i - 1].length > 300 ? lines[i - 1].slice(0, 300) + '…' : lines[i - 1];
        pre.append(i === n
          ? h('mark', { 'data-testid': 'upload-error-line', 'data-line': n }, h('span', { class: 'ln', text: String(i) }), text || ' ')
          : h('span', { class: 'ctx' }, h('span', { class: 'ln', text: String(i) }), text), '\n');
      }
      box.append(h('p', { class: 'muted', text: `Line ${n} of ${f.name}${type === 'text/csv' ? ' (line 1 is the t,v header)' : ''}:` }), pre);
    } else if (e.field && /^points\[\d+\]$/.test(e.field)) {
      box.append(h('p', { class: 'muted', text: `${e.field} is the point at that index (from 0) of the JSON array.` }));
    }
    return box;
  }

  // ---------------------------------------------------------------- job kinds and the form
  // The kinds and their params come from the API (GET /jobs/kinds), the one list of them.
  let kinds = [];
  const pick = new Set();
  let pickTouched = false;

  async function loadKinds() {
    try {
      const r = await api('/jobs/kinds');
      if (r && Array.isArray(r.kinds)) kinds = r.kinds;
    } catch (e) {
      notify(`Job kinds: ${e.message}`);
    }
    const sel = $('#job-kind');
    const cur = sel.value;
    sel.replaceChildren(...kinds.map((k) => h('option', { value: k.kind, text: k.kind })));
    if (kinds.some((k) => k.kind === cur)) sel.value = cur;
    renderKind();
  }
  const curKind = () => kinds.find((k) => k.kind === $('#job-kind').value) || kinds[0];
  const rangeOf = (k) => ({ min: (k.series && k.series.min) || 1, max: (k.series && k.series.max) || 1 });

  function renderKind() {
    const k = curKind();
    if (!k) return;
    $('#job-kind-desc').textContent = k.description || '';
    const box = $('#job-params');
    box.replaceChildren(...(k.params || []).map((p) => {
      const field = `params.${p.name}`;
      const def = p.default == null ? null : typeof p.default === 'object' ? JSON.stringify(p.default) : String(p.default);
      let input;
      if (Array.isArray(p.choices) && p.choices.length) {
        input = h('select', {}, p.required || def != null ? null : h('option', { value: '', text: '(default)' }),
          p.choices.map((c) => h('option', { value: String(c), text: String(c) + (String(c) === def ? ' (default)' : '') })));
        if (def != null) input.value = def;
      } else {
        const num = p.type === 'integer' || p.type === 'number';
        input = h('input', {
          type: num ? 'number' : 'text', step: p.type === 'integer' ? '1' : num ? 'any' : null,
          min: p.min, max: p.max, autocomplete: 'off', spellcheck: 'false',
          placeholder: def != null ? `default ${def}` : p.required ? 'required' : p.type === 'duration' ? 'e.g. 1h, 1d' : 'optional',
        });
      }
      input.id = `param-${p.name}`;
      input.dataset.field = field;
      input.dataset.param = p.name;
      input.dataset.type = p.type;
      input.dataset.testid = `param-${p.name}`;
      const bounds = p.min != null || p.max != null ? ` ${p.min != null ? p.min : ''}–${p.max != null ? p.max : ''}` : '';
      return h('div', { class: 'param' },
        h('label', { for: input.id }, p.name, p.required ? h('span', { class: 'req', text: ' *' }) : null,
          h('span', { class: 'muted', text: ` ${p.type}${bounds}` })),
        input,
        p.description ? h('span', { class: 'hint', text: p.description }) : null,
        h('p', { class: 'field-err', 'data-for': field }));
    }));
    const { min, max } = rangeOf(k);
    $('#job-series-rule').textContent = min === max ? `(pick ${min})` : `(pick ${min} to ${max})`;
    if (!pickTouched || !pick.size) { pick.clear(); state.ids.slice(0, max).forEach((id) => pick.add(id)); }
    while (pick.size > max) pick.delete([...pick][pick.size - 1]);
    clearErrors();
    renderPicker();
  }

  function renderPicker() {
    const k = curKind();
    if (!k) return;
    const { max } = rangeOf(k);
    if (!pickTouched) { pick.clear(); state.ids.slice(0, max).forEach((id) => pick.add(id)); }
    const box = $('#job-series-pick');
    box.replaceChildren(...state.series.map((x) => h('label', { class: pick.has(x.id) ? 'on' : '' },
      h('input', {
        type: 'checkbox', value: x.id, checked: pick.has(x.id), 'data-testid': 'job-series-option',
        onchange: (e) => {
          pickTouched = true;
          if (e.target.checked) {
            if (max === 1) pick.clear();
            else if (pick.size >= max) { e.target.checked = false; showErr('series', `${k.kind} takes at most ${max} series.`); return; }
            pick.add(x.id);
          } else pick.delete(x.id);
          renderPicker();
        },
      }), ` ${x.id}`)));
  }

  function clearErrors() {
    for (const p of $$('#job-form .field-err')) p.textContent = '';
    for (const i of $$('#job-form .invalid')) i.classList.remove('invalid');
  }
  // An error next to the input it names (params.window -> the window input), else under the form.
  function showErr(field, msg) {
    let p = $(`#job-form .field-err[data-for="${CSS.escape(field)}"]`);
    if (!p) p = $('#job-form .field-err[data-for="_"]');
    p.textContent = (p.dataset.for === '_' && field && field !== '_' ? `${field}: ` : '') + msg;
    const input = $(`#job-form [data-field="${CSS.escape(field)}"]`) || (field === 'series' ? $('#job-series') : null);
    if (input) { input.classList.add('invalid'); if (input.focus) input.focus(); }
  }

  function paramValue(input) {
    const raw = input.value.trim();
    if (raw === '') return undefined;
    if (input.dataset.type === 'integer' || input.dataset.type === 'number') {
      const n = Number(raw);
      return Number.isFinite(n) ? n : raw; // the server names what it must be
    }
    return raw;
  }

  async function submitJob(e) {
    e.preventDefault();
    clearErrors();
    const k = curKind();
    if (!k) return;
    const { min, max } = rangeOf(k);
    const series = state.series.map((x) => x.id).filter((id) => pick.has(id));
    if (series.length < min || series.length > max) {
      showErr('series', min === max ? `${k.kind} takes exactly ${min} series: tick ${min === 1 ? 'one' : min}.` : `${k.kind} takes ${min} to ${max} series.`);
      return;
    }
    const body = { kind: k.kind, series: max === 1 ? series[0] : series };
    const from = $('#job-from').value.trim(), to = $('#job-to').value.trim();
    if (from) body.from = from;
    if (to) body.to = to;
    const params = {};
    for (const input of $$('#job-params [data-param]')) {
      const v = paramValue(input);
      if (v !== undefined) params[input.dataset.param] = v;
    }
    body.params = params;
    const btn = $('#job-submit');
    btn.disabled = true;
    try {
      const job = await api('/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      openJob(job.id, job);
      loadJobs();
    } catch (err) {
      if (err.status === 404 && /series/.test(err.message)) showErr('series', err.message);
      else showErr(err.field || '_', err.message);
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- one job: status, result
  let watch = null; // {id, timer, ctl}
  let blobUrl = null;

  function stopWatch() {
    if (!watch) return;
    clearTimeout(watch.timer);
    watch.ctl.abort();
    watch = null;
  }
  function clearResult() {
    if (blobUrl) { URL.revokeObjectURL(blobUrl); blobUrl = null; }
    $('#job-result').replaceChildren();
  }

  function openJob(id, record) {
    stopWatch();
    clearResult();
    const had = state.overlays.length;
    state.overlays = [];
    if (had) drawChart();
    state.job = id;
    writeHash();
    $('#job-close').hidden = false;
    $('#job-title').textContent = id;
    $('#job-panel').dataset.job = id;
    $('#job-panel').dataset.status = '';
    watch = { id, timer: 0, ctl: new AbortController() };
    if (record) renderStatus(record);
    poll(watch);
    highlightJobRow();
  }

  function closeJob() {
    stopWatch();
    clearResult();
    state.job = null;
    state.overlays = [];
    writeHash();
    $('#job-close').hidden = true;
    $('#job-title').textContent = '';
    delete $('#job-panel').dataset.job;
    $('#job-status').replaceChildren(h('p', { class: 'placeholder', text: 'Submit a job or open one from the list below.' }));
    drawChart();
    highlightJobRow();
  }

  async function poll(w) {
    if (watch !== w) return;
    try {
      const job = await api(`/jobs/${w.id}`, { signal: w.ctl.signal });
      if (watch !== w) return;
      renderStatus(job);
      if (job.status === 'queued' || job.status === 'running') { w.timer = setTimeout(() => poll(w), 300); return; }
      loadJobs();
      if (job.status === 'succeeded') await showResult(job, w);
    } catch (e) {
      if (isAbort(e) || watch !== w) return;
      $('#job-status').replaceChildren(h('p', { class: 'err', text: e.status === 404 ? `Job ${w.id} does not exist (any more).` : e.message }));
      $('#job-panel').dataset.status = 'error';
    }
  }

  function renderStatus(job) {
    const pct = Math.max(0, Math.min(100, job.progress || 0));
    const bar = h('div', { class: 'bar', 'data-testid': 'job-progress', 'data-progress': pct }, h('span'));
    bar.firstChild.style.width = pct + '%';
    $('#job-panel').dataset.status = job.status;
    $('#job-status').replaceChildren(
      h('div', { class: 'job-line' },
        h('span', { class: `badge ${job.status}`, 'data-testid': 'job-state', text: job.status }),
        h('b', { text: job.kind }), ` of ${(job.series || []).join(', ')}`,
        job.from || job.to ? h('span', { class: 'muted', text: ` · ${shortT(job.from) === '—' ? 'start' : shortT(job.from)} → ${shortT(job.to) === '—' ? 'end' : shortT(job.to)}` }) : null),
      bar,
      h('p', { class: 'muted small', text: `params ${JSON.stringify(job.params || {})} · attempts ${job.attempts}` + (job.worker ? ` · worker ${job.worker}` : '') }),
      ...(job.error ? [h('p', { class: 'err', 'data-testid': 'job-error', text: job.error })] : []));
  }

  async function showResult(job, w) {
    const res = await api(`/jobs/${job.id}/result`, { raw: true, signal: w.ctl.signal });
    if (watch !== w) return;
    const type = (res.headers.get('content-type') || '').split(';')[0].trim();
    const out = $('#job-result');
    if (type.startsWith('image/')) {
      const blob = await res.blob();
      if (watch !== w) return;
      blobUrl = URL.createObjectURL(blob);
      const ext = type.includes('svg') ? 'svg' : 'png';
      out.replaceChildren(
        h('div', { class: 'result-head' },
          h('span', { class: 'muted', text: `${type}, ${fmtCount(blob.size)} bytes` }),
          h('a', { class: 'btn', href: blobUrl, download: `tsfn-${job.kind}-${job.id.slice(0, 8)}.${ext}`, 'data-testid': 'result-download' }, 'Download')),
        h('img', { src: blobUrl, alt: `${job.kind} of ${job.series.join(', ')}`, class: 'plot', 'data-testid': 'result-image' }));
      return;
    }
    const r = await res.json();
    if (watch !== w) return;
    out.replaceChildren(renderResult(job, r));
  }

  function table(rows, testid) {
    return h('table', { class: 'kv', 'data-testid': testid || 'result-table' },
      h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: fmtV(v) })))));
  }
  const pt = (p) => (p ? `${p.v} at ${p.t}` : null);

  function addOverlay(job, kind, label, points, extra) {
    const base = job.series[0];
    const o = {
      key: `job:${job.id}`, base, label, kind, color: kind === 'markers' ? MARKER : OVERLAY[0],
      t: Float64Array.from(points, (p) => parseT(p.t)), v: Float64Array.from(points, (p) => p.v), ...extra,
    };
    state.overlays = [o];
    // Over the chart as it is when the series is on it; else the series alone, whole span.
    if (!state.ids.includes(base)) openSeries([base]);
    else drawChart();
  }

  function renderResult(job, r) {
    const note = (t) => h('p', { class: 'muted', text: t });
    switch (job.kind) {
      case 'summary': {
        const p = r.percentiles || {};
        return table([['series', r.series], ['count', r.count], ['mean', r.mean], ['min', r.min], ['max', r.max],
          ['stddev', r.stddev], ['sum', r.sum], ['first', pt(r.first)], ['last', pt(r.last)],
          ...Object.entries(p).map(([k, v]) => [k, v])]);
      }
      case 'correlation':
        return table([['series', (r.series || []).join(' vs ')], ['every', r.every], ['agg', r.agg], ['shared buckets (n)', r.n], ["Pearson's r", r.r]]);
      case 'trend': {
        const meta = state.byId.get(r.series) || {};
        const a = parseT(r.intercept_at);
        const lo = Math.max(job.from ? parseT(job.from) : a, a);
        let hi = job.to ? parseT(job.to) - 1 : parseT(meta.last || '');
        if (meta.last) hi = Math.min(hi, parseT(meta.last));
        if (Number.isFinite(lo) && Number.isFinite(hi) && r.slope_per_day != null) {
          const at = (t) => ({ t: iso(t), v: r.intercept + (r.slope_per_day * (t - a)) / 86400000 });
          addOverlay(job, 'line', `trend of ${r.series}`, [at(lo), at(hi)], { dash: [8, 5] });
        }
        return h('div', {}, note('The trend line is drawn dashed over the series on the chart.'),
          table([['series', r.series], ['points (n)', r.n], ['slope per day', r.slope_per_day], ['slope per year', r.slope_per_year],
            ['intercept', r.intercept], ['intercept at', r.intercept_at], ['r²', r.r2]]));
      }
      case 'rolling':
      case 'resample': {
        const what = job.kind === 'rolling' ? `rolling ${r.stat}(${r.window})` : `resample ${r.agg}(${r.every})`;
        addOverlay(job, 'line', `${what} of ${r.series}`, r.points || []);
        return h('div', {}, note(`${fmtCount((r.points || []).length)} points, drawn in black over ${r.series} on the chart.`),
          table([['series', r.series], ...(job.kind === 'rolling' ? [['window', r.window], ['stat', r.stat]] : [['every', r.every], ['agg', r.agg]]), ['points', (r.points || []).length]]));
      }
      case 'anomalies': {
        const an = r.anomalies || [];
        addOverlay(job, 'markers', `anomalies of ${r.series}`, an);
        const rows = an.slice(0, 200).map((a) => h('tr', {}, h('td', { text: a.t }), h('td', { text: fmtV(a.v) }), h('td', { text: fmtV(a.median) }), h('td', { text: a.z == null ? '∞' : a.z.toFixed(2) })));
        return h('div', {},
          note(`${an.length} anomalies among ${fmtCount(r.checked)} points checked (window ${r.window}, threshold ${r.threshold}), marked in red on the chart.`),
          an.length ? h('table', { class: 'grid', 'data-testid': 'anomalies-table' },
            h('thead', {}, h('tr', {}, h('th', { text: 'time (UTC)' }), h('th', { text: 'value' }), h('th', { text: 'median' }), h('th', { text: 'z' }))),
            h('tbody', {}, rows)) : null,
          an.length > 200 ? note(`First 200 of ${an.length} shown.`) : null);
      }
      case 'spectrum':
        return h('div', {}, spectrum(r),
          h('table', { class: 'kv', 'data-testid': 'result-dominant' },
            h('thead', {}, h('tr', {}, h('th', { text: 'period' }), h('th', { text: 'cycles per day' }), h('th', { text: 'amplitude' }))),
            h('tbody', {}, (r.dominant || []).map((d) => h('tr', {},
              h('td', { text: d.period_days >= 1 ? `${+d.period_days.toPrecision(4)} days` : `${+d.period_s.toPrecision(4)} s` }),
              h('td', { text: String(+d.per_day.toPrecision(4)) }),
              h('td', { text: String(+d.magnitude.toPrecision(4)) }))))),
          table([['series', r.series], ['points', r.n], ['spacing', `${r.spacing_ms} ms`], ['resampled', r.every || 'no'], ['window', r.window]]));
      case 'histogram':
        return h('div', {}, histogram(r),
          table([['series', r.series], ['count', r.count], ['min', r.min], ['max', r.max], ['below min', r.below], ['above max', r.above]]));
      default:
        return h('pre', { class: 'json', text: JSON.stringify(r, null, 2) });
    }
  }

  // Amplitude against cycles per day, the dominant peaks marked with their periods.
  function spectrum(r) {
    const f = r.frequencies || [];
    if (f.length < 2) return h('p', { class: 'muted', text: 'Too few frequencies to draw.' });
    const W = 560, H = 220, L = 48, B = 36, T = 14, R = 10;
    const fmax = f[f.length - 1].per_day || 1;
    const top = Math.max(...f.map((b) => b.magnitude), 1e-300);
    const x = (v) => L + (v / fmax) * (W - L - R);
    const y = (m) => H - B - (m / top) * (H - B - T);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'hist', 'data-testid': 'result-spectrum', role: 'img' });
    svg.append(s('polyline', { points: f.map((b) => `${x(b.per_day).toFixed(1)},${y(b.magnitude).toFixed(1)}`).join(' '), fill: 'none', stroke: PALETTE[0], 'stroke-width': 1.2 }));
    for (const d of r.dominant || []) {
      svg.append(s('circle', { cx: x(d.per_day), cy: y(d.magnitude), r: 3, fill: MARKER }));
      const label = d.period_days >= 1 ? `${+d.period_days.toPrecision(3)} d` : `${+d.period_s.toPrecision(3)} s`;
      svg.append(s('text', { x: x(d.per_day) + 5, y: Math.max(T, y(d.magnitude) - 4), class: 'tick' }, label));
    }
    svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#6b7280' }));
    svg.append(s('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#6b7280' }));
    svg.append(s('text', { x: L, y: H - B + 14, 'text-anchor': 'middle', class: 'tick' }, '0'));
    svg.append(s('text', { x: W - R, y: H - B + 14, 'text-anchor': 'end', class: 'tick' }, String(+fmax.toPrecision(3))));
    svg.append(s('text', { x: L - 6, y: T + 8, 'text-anchor': 'end', class: 'tick' }, String(+top.toPrecision(3))));
    svg.append(s('text', { x: (L + W) / 2, y: H - 6, 'text-anchor': 'middle', class: 'tick' }, 'cycles per day · height = amplitude'));
    return svg;
  }

  function histogram(r) {
    const bins = r.bins || [];
    if (!bins.length) return h('p', { class: 'muted', text: 'No points, no bins.' });
    const W = 560, H = 220, L = 48, B = 36, T = 10, R = 10;
    const top = Math.max(...bins.map((b) => b.count), 1);
    const lo = bins[0].lo, hi = bins[bins.length - 1].hi, span = hi - lo || 1;
    const x = (v) => L + ((v - lo) / span) * (W - L - R);
    const y = (c) => H - B - (c / top) * (H - B - T);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'hist', 'data-testid': 'result-histogram', role: 'img' });
    const short = (v) => (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : +v.toPrecision(4));
    for (const b of bins) {
      const r0 = s('rect', { x: x(b.lo) + 0.5, y: y(b.count), width: Math.max(1, x(b.hi) - x(b.lo) - 1), height: H - B - y(b.count), fill: PALETTE[0] });
      r0.append(s('title', {}, `[${b.lo}, ${b.hi}): ${b.count}`));
      svg.append(r0);
    }
    svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#6b7280' }));
    svg.append(s('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#6b7280' }));
    const step = Math.ceil(bins.length / 8);
    bins.forEach((b, i) => {
      if (i % step === 0 && x(hi) - x(b.lo) > 36) svg.append(s('text', { x: x(b.lo), y: H - B + 14, 'text-anchor': 'middle', class: 'tick' }, String(short(b.lo))));
    });
    svg.append(s('text', { x: x(hi), y: H - B + 14, 'text-anchor': 'end', class: 'tick' }, String(short(hi))));
    svg.append(s('text', { x: L - 6, y: T + 8, 'text-anchor': 'end', class: 'tick' }, String(top)));
    svg.append(s('text', { x: L - 6, y: H - B, 'text-anchor': 'end', class: 'tick' }, '0'));
    svg.append(s('text', { x: (L + W) / 2, y: H - 6, 'text-anchor': 'middle', class: 'tick' }, `value${r.series && state.byId.get(r.series) && state.byId.get(r.series).unit ? ' (' + state.byId.get(r.series).unit + ')' : ''} · bar height = count`));
    return svg;
  }

  // ---------------------------------------------------------------- jobs list
  let jobsCursor = null;
  let jobsTimer = 0;
  let jobsCtl = null;

  async function loadJobs(more = false) {
    clearTimeout(jobsTimer);
    if (jobsCtl) jobsCtl.abort();
    const ctl = jobsCtl = new AbortController();
    const status = $('#jobs-status').value;
    const q = new URLSearchParams({ limit: '50' });
    if (status) q.set('status', status);
    if (more && jobsCursor) q.set('cursor', jobsCursor);
    try {
      const r = await api('/jobs?' + q, { signal: ctl.signal });
      if (ctl !== jobsCtl) return;
      jobsCursor = r.next_cursor || null;
      $('#jobs-more').hidden = !jobsCursor;
      const body = $('#jobs-table tbody');
      const rows = (r.jobs || []).map(jobRow);
      if (more) body.append(...rows); else body.replaceChildren(...rows);
      if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: 5, class: 'muted', text: status ? `No ${status} jobs.` : 'No jobs yet.' })));
      highlightJobRow();
      if ((r.jobs || []).some((j) => j.status === 'queued' || j.status === 'running')) jobsTimer = setTimeout(() => loadJobs(), 2000);
    } catch (e) {
      if (!isAbort(e)) notify(`Jobs: ${e.message}`);
    } finally {
      if (ctl === jobsCtl) jobsCtl = null;
    }
  }

  function jobRow(j) {
    const busy = j.status === 'running';
    return h('tr', { 'data-testid': 'job-row', 'data-id': j.id, 'data-status': j.status, 'data-kind': j.kind },
      h('td', { text: j.kind }),
      h('td', { class: 'ser', text: (j.series || []).join(', '), title: (j.series || []).join(', ') }),
      h('td', {}, h('span', { class: `badge ${j.status}`, text: j.status })),
      h('td', { class: 'small', text: shortT(j.created), title: j.created }),
      h('td', { class: 'acts' },
        h('button', { type: 'button', class: 'ghost', 'data-testid': 'job-open', onclick: () => openJob(j.id) }, 'Open'),
        h('button', {
          type: 'button', class: 'ghost danger', 'data-testid': 'job-delete', disabled: busy,
          title: busy ? 'A running job cannot be deleted' : j.status === 'queued' ? 'Cancel this job' : 'Delete this job and its result',
          onclick: () => deleteJob(j),
        }, j.status === 'queued' ? 'Cancel' : 'Delete')));
  }

  function highlightJobRow() {
    for (const tr of $$('#jobs-table tr[data-id]')) tr.classList.toggle('open', tr.dataset.id === state.job);
  }

  async function deleteJob(j) {
    try {
      await api(`/jobs/${j.id}`, { method: 'DELETE' });
      if (state.job === j.id) closeJob();
      notify(`Job ${j.id.slice(0, 8)} ${j.status === 'queued' ? 'cancelled' : 'deleted'}.`, 'info');
    } catch (e) {
      notify(e.status === 409 ? `Job ${j.id.slice(0, 8)} is running: wait until it has finished.` : e.message);
    }
    loadJobs();
  }

  // ---------------------------------------------------------------- wiring
  function applyHash() {
    const hs = readHash();
    state.ids = hs.ids;
    state.view = hs.view;
    state.shown = hs.view;
    state.span = null;
    state.overlays = [];
    assignColors();
    renderSeries();
    renderPicker();
    fetchChart();
    if (hs.job && hs.job !== state.job) openJob(hs.job);
    else if (!hs.job && state.job) closeJob();
  }

  function wire() {
    $('#series-filter').addEventListener('input', renderSeries);
    $('#series-reload').addEventListener('click', () => loadSeries().catch((e) => notify(e.message)));
    $('#zoom-reset').addEventListener('click', resetZoom);
    $('#copy-link').addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(location.href); notify('Link copied: it opens this view.', 'info'); } catch (_) { notify('Copy the address bar: it holds this view.', 'info'); }
    });
    $('#key-change').addEventListener('click', () => askKey(false).then(() => { loadSeries(); fetchChart(); }));

    const drop = $('#drop');
    $('#upload-file').addEventListener('change', (e) => pickFile(e.target.files[0]));
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer.files.length) pickFile(e.dataTransfer.files[0]);
    });
    $('#upload-go').addEventListener('click', upload);

    $('#job-kind').addEventListener('change', renderKind);
    $('#job-form').addEventListener('submit', submitJob);
    $('#job-form').addEventListener('input', (e) => {
      if (e.target.dataset.field) {
        e.target.classList.remove('invalid');
        const p = $(`#job-form .field-err[data-for="${CSS.escape(e.target.dataset.field)}"]`);
        if (p) p.textContent = '';
      }
    });
    $('#job-use-view').addEventListener('click', () => {
      const r = state.view || state.shown;
      if (!r) { notify('Nothing on the chart yet.', 'info'); return; }
      $('#job-from').value = iso(r.from);
      $('#job-to').value = iso(r.to);
    });
    $('#job-close').addEventListener('click', closeJob);
    $('#jobs-status').addEventListener('change', () => loadJobs());
    $('#jobs-reload').addEventListener('click', () => loadJobs());
    $('#jobs-more').addEventListener('click', () => loadJobs(true));

    window.addEventListener('hashchange', applyHash);
    let rt = 0;
    window.addEventListener('resize', () => {
      clearTimeout(rt);
      rt = setTimeout(() => {
        if (!chart) return;
        chart.setSize({ width: chartEl.clientWidth, height: chartHeight() });
        scheduleFetch(0);
      }, 150);
    });
  }

  async function start() {
    wire();
    if (apiKey) $('#key-change').hidden = false;
    const hs = readHash();
    state.ids = hs.ids;
    state.view = hs.view;
    state.shown = hs.view;
    assignColors();
    // The chart needs the units from the list, so the list comes first; kinds and jobs alongside.
    const kindsP = loadKinds();
    try {
      await loadSeries();
    } catch (e) {
      notify(`Series: ${e.message}`);
    }
    if (state.ids.length) fetchChart();
    renderKind();
    if (hs.job) openJob(hs.job);
    await kindsP;
    loadJobs();
  }

  start();
})();
