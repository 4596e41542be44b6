/**
 * The status page's three files, served from memory: no CDN, no fonts, no framework. The script renders the
 * `zkotel.status/v1` document it receives over one EventSource, with textContent only (no HTML from data), and
 * draws the sparklines as inline SVG.
 */
const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zkotel status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="status.css">
<script src="status.js" defer></script>
</head>
<body>
<a class="skip" href="#clusters">Skip to clusters</a>
<header>
  <h1>zkotel status</h1>
  <p id="connection" class="badge unknown" role="status" aria-live="polite">connecting…</p>
  <p id="summary"></p>
</header>
<main>
  <section aria-labelledby="problems-title">
    <h2 id="problems-title">Problems</h2>
    <ul id="problems"><li>waiting for the first probes…</li></ul>
  </section>
  <section aria-labelledby="clusters-title">
    <h2 id="clusters-title">Clusters</h2>
    <p class="hint">Worst first. Healthy clusters start collapsed when there are many servers; Enter or Space opens one.</p>
    <div id="clusters" tabindex="-1"></div>
  </section>
  <section aria-labelledby="agent-title">
    <h2 id="agent-title">Agent</h2>
    <div id="agent"></div>
  </section>
</main>
<noscript>This page needs JavaScript; the same data is at <a href="api/v1/status">api/v1/status</a>.</noscript>
</body>
</html>
`;

const CSS = `:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--muted:#57606a;--line:#d0d7de;--bg:#fff;--fg:#1f2328;--chip:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
h1{font-size:1.2rem;margin:0}h2{font-size:1.05rem;margin:1rem 0 .4rem}
main{padding:0 1rem 2rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.2rem}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.badge{display:inline-block;margin:0;padding:.05rem .5rem;border-radius:1rem;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.unknown{color:var(--muted)}
.hint,.muted{color:var(--muted)}
#problems{padding-left:1.2rem}#problems li{margin:.2rem 0}
details.cluster{border:1px solid var(--line);border-radius:6px;margin:.5rem 0}
details.cluster>summary{cursor:pointer;padding:.5rem .7rem;display:flex;gap:.8rem;flex-wrap:wrap;align-items:center;background:var(--chip)}
details.cluster>summary h3{font-size:1rem;margin:0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .5rem;border-top:1px solid var(--line);text-align:left;vertical-align:middle;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.state{white-space:normal;min-width:9rem;max-width:20rem}td.state .reason{display:block;font-size:.9em}
thead th{white-space:normal;vertical-align:bottom}
svg.spark{display:block}svg.spark polyline{fill:none;stroke:#0969da;stroke-width:1.5}svg.spark circle{fill:#0969da}svg.spark line{stroke:var(--line)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dd{margin:0}
.group h3{font-size:1rem;margin:.8rem 0 .3rem}ul.members{margin:.2rem 0;padding-left:1.2rem}
.pipeline{font-family:ui-monospace,monospace}
`;

const SCRIPT = String.raw`'use strict';
(function () {
  var offsetMs = 0;
  var openState = {};
  var rendered = {};
  var SMALL = 30;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child); });
    return node;
  }
  function badge(text, kind) { return el('span', { className: 'badge ' + kind, text: text }); }
  function num(value, digits) {
    if (value === undefined || value === null) return '–';
    if (Math.abs(value) >= 1e6) return (value / 1e6).toFixed(1) + 'M';
    if (Math.abs(value) >= 1e4) return (value / 1e3).toFixed(1) + 'k';
    return digits === undefined ? String(value) : value.toFixed(digits);
  }
  function ofLimit(value, limit) { return limit ? num(value) + ' / ' + num(limit) : num(value); }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() + offsetMs - ms) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    return Math.floor(s / 3600) + ' h ago';
  }
  function age(ms) { return el('span', { className: 'age', 'data-t': String(ms), text: ago(ms) }); }
  function quorumBadge(state) {
    if (state === 'ok') return badge('quorum ok', 'ok');
    if (state === 'at_risk') return badge('quorum at risk', 'warn');
    return badge('quorum lost', 'bad');
  }
  function stateBadge(server) {
    if (server.up === false) return badge('down', 'bad');
    if (server.stale) return badge('stale', 'unknown');
    if (server.up === true) return badge('up', 'ok');
    return badge('unknown', 'unknown');
  }
  function reasonText(server) {
    if (server.up === false) {
      var seen = {};
      return server.failures.filter(function (f) { return seen[f.reason] ? false : (seen[f.reason] = true); })
        .map(function (f) { return f.reason + ': ' + f.description; }).join('; ') || 'the probe failed';
    }
    if (server.stale) return 'no probe for ' + ago(server.last_probe_ms).replace(' ago', '');
    return '';
  }
  function spark(points, label, unit) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    var w = 80, h = 22;
    svg.setAttribute('class', 'spark'); svg.setAttribute('width', w); svg.setAttribute('height', h);
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h); svg.setAttribute('role', 'img');
    var values = points.filter(function (v) { return v !== null; });
    var max = Math.max.apply(null, values.concat([0])), min = Math.min.apply(null, values.concat([max]));
    var words = values.length ? label + ', last 15 min: ' + num(min, unit ? 2 : undefined) + ' to ' + num(max, unit ? 2 : undefined) + (unit || '') : label + ': no data in the last 15 min';
    svg.setAttribute('aria-label', words);
    var title = document.createElementNS(ns, 'title'); title.textContent = words; svg.appendChild(title);
    var base = document.createElementNS(ns, 'line');
    base.setAttribute('x1', 0); base.setAttribute('x2', w); base.setAttribute('y1', h - 1); base.setAttribute('y2', h - 1);
    svg.appendChild(base);
    var span = max - min || 1, run = [];
    function flush() {
      if (run.length > 1) { var line = document.createElementNS(ns, 'polyline'); line.setAttribute('points', run.join(' ')); svg.appendChild(line); }
      else if (run.length === 1) {
        var dot = document.createElementNS(ns, 'circle'), xy = run[0].split(',');
        dot.setAttribute('cx', xy[0]); dot.setAttribute('cy', xy[1]); dot.setAttribute('r', 1.5); svg.appendChild(dot);
      }
      run = [];
    }
    points.forEach(function (v, i) {
      if (v === null) return flush();
      run.push((i * w / (points.length - 1)).toFixed(1) + ',' + (h - 2 - (v - min) / span * (h - 4)).toFixed(1));
    });
    flush();
    return svg;
  }
  function serverRow(s) {
    var f = s.figures;
    var role = s.role || (s.last_role ? 'was ' + s.last_role : '–');
    return el('tr', { 'data-endpoint': s.endpoint }, [
      el('th', { scope: 'row', text: s.endpoint }),
      el('td', { className: 'state' }, [stateBadge(s), reasonText(s) ? el('span', { className: 'reason', text: reasonText(s) }) : null]),
      el('td', { text: role }),
      el('td', {}, [age(s.last_probe_ms)]),
      el('td', { className: 'num', text: num(f.latency_avg_ms, 2) }),
      el('td', { className: 'num', text: num(f.client_p99_ms, 2) }),
      el('td', { className: 'num', text: num(f.requests_active) }),
      el('td', { className: 'num', text: ofLimit(f.connections, f.connections_limit) }),
      el('td', { className: 'num', text: num(f.znodes) }),
      el('td', { className: 'num', text: ofLimit(f.fds_open, f.fds_limit) }),
      el('td', { className: 'num', text: f.zxid || '–' }),
      el('td', {}, [spark(s.history.latency_avg_ms, 'average latency', ' ms')]),
      el('td', {}, [spark(s.history.client_p99_ms, 'client p99', ' ms')]),
      el('td', {}, [spark(s.history.requests_active, 'requests in flight')]),
    ]);
  }
  var HEADERS = ['Server', 'State', 'Role', 'Last probe', 'Avg latency ms', 'Client p99 ms', 'In flight', 'Connections', 'Znodes', 'File descr.', 'Zxid', 'Latency 15m', 'Client p99 15m', 'In flight 15m'];
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
  /** The details and summary elements live as long as the cluster: focus and folding survive every update. */
  function clusterNode(c, collapse) {
    var details = el('details', { className: 'cluster', 'data-cluster': c.name }, [el('summary')]);
    if (openState[c.name] !== undefined ? openState[c.name] : !collapse) details.open = true;
    details.addEventListener('toggle', function () { openState[c.name] = details.open; });
    return details;
  }
  function fillCluster(details, c) {
    var name = c.name || '(no cluster)';
    var summary = details.firstChild;
    summary.textContent = '';
    [el('h3', { text: name }), quorumBadge(c.quorum),
      el('span', { text: 'leader: ' + (c.leader || 'none') }),
      el('span', { text: c.members_up + ' of ' + c.members_total + ' members up' }),
      el('span', { className: c.problems ? 'bad' : 'muted', text: plural(c.problems, 'problem') })].forEach(function (child) { summary.appendChild(child); });
    var head = el('tr', {}, HEADERS.map(function (h) { return el('th', { scope: 'col', text: h }); }));
    var wrap = el('div', { className: 'table-wrap' }, [el('table', {}, [
      el('caption', { className: 'muted', text: 'Servers of ' + name + ', worst first' }),
      el('thead', {}, [head]), el('tbody', {}, c.servers.map(serverRow))])]);
    if (details.lastChild !== summary) details.replaceChild(wrap, details.lastChild);
    else details.appendChild(wrap);
  }
  function renderClusters(doc) {
    var root = document.getElementById('clusters');
    var many = doc.agent.targets > SMALL;
    var keep = {};
    var previous = null;
    doc.clusters.forEach(function (c) {
      var key = JSON.stringify(c);
      var entry = rendered[c.name];
      if (!entry) entry = rendered[c.name] = { key: '', node: clusterNode(c, many && c.quorum === 'ok' && c.problems === 0) };
      if (entry.key !== key) { fillCluster(entry.node, c); entry.key = key; }
      var want = previous ? previous.nextSibling : root.firstChild;
      if (want !== entry.node) root.insertBefore(entry.node, want);
      previous = entry.node;
      keep[c.name] = true;
    });
    Object.keys(rendered).forEach(function (name) { if (!keep[name]) { root.removeChild(rendered[name].node); delete rendered[name]; } });
    if (!doc.clusters.length && !root.firstChild) root.appendChild(el('p', { className: 'muted', text: 'No ZooKeeper server reported yet.' }));
    else if (doc.clusters.length && root.firstChild && root.firstChild.tagName === 'P') root.removeChild(root.firstChild);
  }
  function renderProblems(doc) {
    var list = document.getElementById('problems');
    list.textContent = '';
    if (!doc.problems.length) { list.appendChild(el('li', {}, [badge('ok', 'ok'), ' no problems'])); return; }
    doc.problems.forEach(function (p) {
      list.appendChild(el('li', {}, [badge(p.severity, p.severity === 'critical' ? 'bad' : 'warn'), ' ',
        el('strong', { text: p.alert }), ' ' + (p.zk_cluster || '(no cluster)') + ': ' + p.summary + ' (since ', age(p.since_ms), ')']));
    });
  }
  function renderAgent(doc) {
    var a = doc.agent, root = document.getElementById('agent');
    root.textContent = '';
    var reload = a.last_reload ? [a.last_reload.ok ? badge('ok', 'ok') : badge('failed', 'bad'), ' ', age(a.last_reload.at_ms), a.last_reload.error ? ': ' + a.last_reload.error : ''] : ['none since start'];
    root.appendChild(el('dl', {}, [
      el('dt', { text: 'Version' }), el('dd', { text: a.version }),
      el('dt', { text: 'Started' }), el('dd', {}, [age(a.started_ms)]),
      el('dt', { text: 'Last reload' }), el('dd', {}, reload),
      el('dt', { text: 'Targets' }), el('dd', { text: a.targets_up + ' of ' + a.targets + ' servers up' + (a.servers_not_tracked ? '; ' + a.servers_not_tracked + ' more not tracked (limit reached)' : '') }),
      el('dt', { text: 'Extensions' }), el('dd', { text: a.extensions.join(', ') || 'none' }),
    ]));
    root.appendChild(el('table', {}, [el('caption', { className: 'muted', text: 'Pipelines' }),
      el('thead', {}, [el('tr', {}, ['Pipeline', 'Receivers', 'Processors', 'Exporters'].map(function (h) { return el('th', { scope: 'col', text: h }); }))]),
      el('tbody', {}, a.pipelines.map(function (p) {
        return el('tr', { className: 'pipeline' }, [el('th', { scope: 'row', text: p.id }), el('td', { text: p.receivers.join(', ') }),
          el('td', { text: p.processors.join(', ') || '–' }), el('td', { text: p.exporters.join(', ') })]);
      }))]));
    (doc.agent_groups || []).forEach(function (g) { root.appendChild(renderGroup(g)); });
  }
  function renderGroup(g) {
    var members = el('ul', { className: 'members' }, g.members.map(function (m) {
      return el('li', { 'data-member': m.id }, m.self ? [el('strong', { text: m.id }), ' (this agent)'] : [m.id]);
    }));
    return el('div', { className: 'group', 'data-group': g.id }, [el('h3', { text: 'Agent group ' + g.id }), el('dl', {}, [
      el('dt', { text: 'Coordination' }), el('dd', {}, [g.connected ? badge('connected', 'ok') : badge('not connected: keeping the last assignment', 'warn')]),
      el('dt', { text: 'Members' }), el('dd', {}, [plural(g.members.length, 'agent'), members]),
      el('dt', { text: 'Owned here' }), el('dd', { text: plural(g.owned_targets, 'target') + ' (the clusters above)' }),
      el('dt', { text: 'Rebalances' }), el('dd', { text: String(g.rebalances) }),
      el('dt', { text: 'Last change' }), el('dd', {}, [g.last_change_ms ? age(g.last_change_ms) : 'none yet']),
    ])]);
  }
  function render(doc) {
    offsetMs = doc.generated_ms - Date.now();
    var lost = doc.clusters.filter(function (c) { return c.quorum !== 'ok'; }).length;
    document.getElementById('summary').textContent = plural(doc.clusters.length, 'cluster') + ', ' + doc.agent.targets_up + ' of ' + doc.agent.targets + ' servers up, ' +
      (lost ? lost + ' not ok' : 'all quorums ok') + ', ' + plural(doc.problems.length, 'problem');
    renderProblems(doc); renderClusters(doc); renderAgent(doc);
  }
  function setConnection(text, kind) {
    var node = document.getElementById('connection');
    node.textContent = text; node.className = 'badge ' + kind;
  }
  function connect() {
    var source = new EventSource('api/v1/events');
    source.addEventListener('open', function () { setConnection('live', 'ok'); });
    source.addEventListener('status', function (event) { render(JSON.parse(event.data)); });
    source.addEventListener('error', function () {
      setConnection('agent unreachable, reconnecting…', 'bad');
      // The browser retries by itself unless the stream failed for good (e.g. an HTTP error): then start anew.
      if (source.readyState === 2) setTimeout(connect, 2000);
    });
  }
  setInterval(function () {
    var ages = document.querySelectorAll('.age');
    for (var i = 0; i < ages.length; i++) ages[i].textContent = ago(Number(ages[i].getAttribute('data-t')));
  }, 1000);
  connect();
})();
`;

export interface Asset {
  readonly contentType: string;
  readonly body: string;
}

export const PAGE_ASSETS: Readonly<Record<string, Asset>> = {
  '/': { contentType: 'text/html; charset=utf-8', body: HTML },
  '/status.css': { contentType: 'text/css; charset=utf-8', body: CSS },
  '/status.js': { contentType: 'text/javascript; charset=utf-8', body: SCRIPT },
};
