// The console's one page: hash routes, a snapshot then server-sent events. Buildless ES module;
// every value from the server is set as text (never as HTML).
import uPlot from '/vendor/uplot/uPlot.esm.js'

const RANK = { unspecified: 0, low: 1, medium: 2, high: 3 }
const LABELS = {
  heart_rate: 'HR',
  spo2: 'SpO2',
  respiration_rate: 'RR',
  nibp_systolic: 'NIBP sys',
  nibp_diastolic: 'NIBP dia',
  body_temperature: 'Temp',
  pulse_rate: 'PR',
  ambient_temperature: 'Temp',
  relative_humidity: 'RH',
  barometric_pressure: 'Press',
  vibration_rms: 'Vib',
  infusion_rate: 'Rate',
}
const MAIN = ['heart_rate', 'spo2', 'respiration_rate', 'nibp_systolic', 'nibp_diastolic', 'body_temperature']
const state = {
  me: null,
  alarms: new Map(),
  recent: [],
  devices: new Map(),
  audit: [],
  status: {},
  pipeline: null,
  lastEventId: 0,
  silentAfterMs: 30000,
  source: null,
  chart: null,
}
const $ = (sel) => document.querySelector(sel)
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else if (v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c))
  return node
}
const time = (ms) => new Date(ms).toLocaleTimeString()
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1))

async function api(path, options = {}) {
  const res = await fetch(path, {
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    ...options,
  })
  const body = res.status === 204 ? null : await res.json().catch(() => null)
  if (!res.ok)
    throw Object.assign(new Error(body?.error?.message ?? res.statusText), {
      status: res.status,
      code: body?.error?.code,
    })
  return body
}

function showBanner() {
  const problems = Object.entries(state.status)
    .filter(([, v]) => v !== 'ok' && v !== 'unknown')
    .map(([k, v]) => `${k === 'kafka' ? 'Kafka' : 'InfluxDB'} ${v}`)
  if (state.streamDown) problems.push('live updates disconnected, reconnecting')
  $('#banner').hidden = problems.length === 0
  $('#banner').textContent = problems.length ? `Not live: ${problems.join('; ')}` : ''
}

async function loadSnapshot() {
  const snap = await api('/api/snapshot')
  state.alarms = new Map(snap.alarms.map((a) => [a.alertId, a]))
  state.recent = snap.recent
  state.devices = new Map(snap.devices.map((d) => [d.deviceId, d]))
  state.audit = snap.audit
  state.status = snap.status
  state.pipeline = snap.pipeline
  state.silentAfterMs = snap.silentAfterMs
  state.lastEventId = snap.lastEventId
}

function connect() {
  state.source?.close()
  // The first connection says where the snapshot ended; EventSource itself sends Last-Event-ID on reconnects.
  const source = new EventSource(`/api/events?lastEventId=${state.lastEventId}`)
  state.source = source
  const on = (type, fn) =>
    source.addEventListener(type, (e) => {
      state.lastEventId = Number(e.lastEventId)
      fn(JSON.parse(e.data))
      schedule()
    })
  on('alarm', (a) => {
    if (a.active) state.alarms.set(a.alertId, a)
    else {
      state.alarms.delete(a.alertId)
      state.recent = [a, ...state.recent.filter((r) => r.alertId !== a.alertId)].slice(0, 500)
    }
  })
  on('reading', (d) => {
    state.devices.set(d.deviceId, d)
    appendLive(d)
  })
  on('audit', (entry) => (state.audit = [...state.audit, entry].slice(-200)))
  on('status', (s) => (state.status = s))
  on('pipeline', (p) => (state.pipeline = p))
  on('resync', () => start().catch(() => undefined))
  source.onopen = () => {
    state.streamDown = false
    showBanner()
  }
  source.onerror = () => {
    state.streamDown = true
    showBanner()
  }
}

let pending = false
function schedule() {
  if (pending) return
  pending = true
  requestAnimationFrame(() => {
    pending = false
    render(false)
  })
}

function highestAlarm(deviceId) {
  let best
  for (const a of state.alarms.values())
    if (a.deviceId === deviceId && (!best || RANK[a.priority] > RANK[best.priority])) best = a
  return best
}
const isCommLoss = (a) =>
  a.kind === 'technical' && /missing|communication|comm/.test(`${a.ruleId} ${a.ruleType ?? ''} ${a.message}`)

function spark(points) {
  if (!points || points.length < 2) return null
  const xs = points.map((p) => p[0]),
    ys = points.map((p) => p[1])
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
  const pts = points
    .map(([x, y]) => `${((x - x0) / (x1 - x0 || 1)) * 100},${22 - ((y - y0) / (y1 - y0 || 1)) * 20}`)
    .join(' ')
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('viewBox', '0 0 100 24')
  svg.setAttribute('preserveAspectRatio', 'none')
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
  line.setAttribute('points', pts)
  svg.append(line)
  return svg
}

function tile(d) {
  const alarm = highestAlarm(d.deviceId)
  const silent = Date.now() - d.lastSeenMs > state.silentAfterMs
  const metrics = MAIN.filter((m) => d.latest[m]).length
    ? MAIN.filter((m) => d.latest[m])
    : Object.keys(d.latest).slice(0, 3)
  const trendMetric = metrics.find((m) => m === 'spo2') ?? metrics[0]
  const cls = [
    'tile',
    alarm ? `p-${alarm.priority}` : '',
    alarm?.kind === 'technical' ? 'tech' : '',
    silent || (alarm && isCommLoss(alarm)) ? 'commloss' : '',
  ].join(' ')
  return el(
    'a',
    {
      class: cls,
      href: `#/device/${encodeURIComponent(d.deviceId)}`,
      'data-device': d.deviceId,
      'data-priority': alarm?.priority ?? 'none',
    },
    el(
      'h3',
      {},
      d.deviceId,
      ' ',
      alarm
        ? el(
            'span',
            { class: `prio p-${alarm.priority}` },
            `${alarm.priority.toUpperCase()}${alarm.kind === 'technical' ? ' TECH' : ''}`,
          )
        : null,
    ),
    el('div', { class: 'meta' }, `${d.site || 'no site'} · ${d.subject || 'no subject'} · ${d.deviceType}`),
    silent ? el('div', { class: 'commloss-text' }, `NO SIGNAL since ${time(d.lastSeenMs)}`) : null,
    alarm ? el('div', { class: 'meta' }, alarm.message) : null,
    el(
      'div',
      { class: 'values' },
      metrics.map((m) => el('span', {}, LABELS[m] ?? m, el('b', {}, fmt(d.latest[m].value)))),
    ),
    spark(d.trend[trendMetric]),
  )
}

function wardView() {
  const devices = [...state.devices.values()].sort(
    (a, b) =>
      (RANK[highestAlarm(b.deviceId)?.priority] ?? -1) - (RANK[highestAlarm(a.deviceId)?.priority] ?? -1) ||
      a.deviceId.localeCompare(b.deviceId),
  )
  // Alarms of devices the tap has not heard yet still get a tile: an alarm is never hidden.
  const known = new Set(devices.map((d) => d.deviceId))
  for (const a of state.alarms.values())
    if (!known.has(a.deviceId)) {
      known.add(a.deviceId)
      devices.unshift({
        deviceId: a.deviceId,
        deviceType: '',
        site: '',
        subject: a.subjectId,
        lastSeenMs: Date.now(),
        latest: {},
        trend: {},
      })
    }
  return [
    el('h2', {}, `Central station · ${devices.length} devices · ${state.alarms.size} active alarms`),
    // Never silently: a ward larger than the page says how many tiles it left off (the quietest).
    ...(devices.length > 500
      ? [el('p', { class: 'meta' }, `Showing the first 500 of ${devices.length} (alarms first).`)]
      : []),
    el('div', { class: 'tiles' }, devices.slice(0, 500).map(tile)),
  ]
}

async function act(action, alarm) {
  try {
    await api(`/api/alarms/${action}`, {
      method: 'POST',
      body: JSON.stringify({ alertId: alarm.alertId, ...(action === 'silence' && { durationMs: 60000 }) }),
    })
  } catch (err) {
    alert(`${action} refused: ${err.message}`)
  }
}

function alarmRow(a, actions) {
  const clinician = state.me?.role === 'clinician'
  return el(
    'tr',
    { class: `p-${a.priority}`, 'data-alert': a.alertId },
    el(
      'td',
      {},
      el('span', { class: `prio p-${a.priority}` }, a.priority.toUpperCase()),
      a.kind === 'technical' ? ' technical' : '',
    ),
    el('td', {}, time(a.raisedMs)),
    el('td', {}, a.deviceId),
    el('td', {}, a.subjectId),
    el('td', {}, a.message),
    el('td', {}, a.state + (a.acknowledged ? ' (ack)' : '')),
    el(
      'td',
      {},
      a.actions
        .map((x) => `${x.transition} by ${x.actor} ${time(x.atMs)}${x.reason ? ` (${x.reason})` : ''}`)
        .join('; '),
    ),
    actions
      ? el(
          'td',
          {},
          ['acknowledge', 'silence', 'reset'].map((act2) =>
            el(
              'button',
              {
                disabled: !clinician,
                title: clinician ? act2 : 'clinicians only',
                'data-action': act2,
                onclick: () => act(act2, a),
              },
              act2,
            ),
          ),
        )
      : el('td', {}),
  )
}

function alarmsView() {
  const head = el(
    'tr',
    {},
    ['Priority', 'Raised', 'Device', 'Subject', 'Message', 'State', 'Who did what', ''].map((h) =>
      el('th', {}, h),
    ),
  )
  const active = [...state.alarms.values()].sort(
    (a, b) => RANK[b.priority] - RANK[a.priority] || b.raisedMs - a.raisedMs,
  )
  return [
    el('h2', {}, `Active alarms (${active.length})`),
    el(
      'table',
      { id: 'active' },
      head,
      active.map((a) => alarmRow(a, true)),
    ),
    el('h2', {}, 'Recent (ended)'),
    el(
      'table',
      {},
      head.cloneNode(true),
      state.recent.slice(0, 50).map((a) => alarmRow(a, false)),
    ),
    el('h2', {}, 'Audit'),
    el(
      'table',
      { id: 'audit' },
      el(
        'tr',
        {},
        ['When', 'User', 'Action', 'Alert', 'Outcome'].map((h) => el('th', {}, h)),
      ),
      [...state.audit]
        .reverse()
        .slice(0, 100)
        .map((e) =>
          el(
            'tr',
            {},
            el('td', {}, time(e.atMs)),
            el('td', {}, e.user),
            el('td', {}, e.action),
            el('td', {}, e.alertId ?? ''),
            el('td', {}, e.outcome),
          ),
        ),
    ),
  ]
}

function pipelineView() {
  const p = state.pipeline
  if (!p) return [el('h2', {}, 'Pipeline'), el('p', {}, 'waiting for the first scrape…')]
  const table = (heads, rows) =>
    el(
      'table',
      {},
      el(
        'tr',
        {},
        heads.map((h) => el('th', {}, h)),
      ),
      rows.map((r) =>
        el(
          'tr',
          {},
          r.map((c) => el('td', {}, c)),
        ),
      ),
    )
  return [
    el('h2', {}, `Pipeline (scraped ${time(p.atMs)})`),
    table(
      ['Endpoint', 'State'],
      p.targets.map((t) => [t.url, t.up ? 'up' : `down: ${t.error}`]),
    ),
    el('h3', {}, 'Messages per second by channel'),
    table(
      ['Counter', 'Channel', 'msgs/s'],
      p.rates.map((r) => [r.name, r.topic, r.perSec.toFixed(1)]),
    ),
    el('h3', {}, 'Consumer lag'),
    p.lag
      ? table(
          ['Group', 'Channel', 'Records behind'],
          p.lag.map((l) => [l.group, l.topic, String(l.records)]),
        )
      : el('p', {}, 'not reported (no process exposes pulsewire_kafka_consumer_lag)'),
    el('h3', {}, 'Latency per hop (mean over the last interval)'),
    table(
      ['Hop', 'Mean ms', 'Count'],
      p.latency.map((l) => [l.name, l.meanMs.toFixed(1), String(l.count)]),
    ),
    el('h3', {}, 'Dead letters'),
    table(
      ['Metric', 'Labels', 'Count'],
      p.dlq.map((d) => [d.name, JSON.stringify(d.labels), String(d.value)]),
    ),
    el('h3', {}, `Connected devices: ${p.connections ?? 'not reported'}`),
  ]
}

function appendLive(d) {
  const c = state.chart
  if (!c || c.deviceId !== d.deviceId) return
  const t = Math.max(...Object.values(d.latest).map((v) => v.tsMs)) / 1000
  if (!(t > (c.plot.data[0].at(-1) ?? 0))) return
  const data = c.plot.data.map((col, i) =>
    i === 0 ? [...col, t] : [...col, d.latest[c.metrics[i - 1]]?.value ?? null],
  )
  c.plot.setData(data)
}

async function deviceView(id) {
  const windowSel = el(
    'select',
    { id: 'window' },
    ['-15m', '-1h', '-6h', '-24h'].map((w) => el('option', { value: w }, w)),
  )
  const box = el('div', { id: 'chart' })
  const info = el('p', {}, 'loading…')
  const load = async () => {
    try {
      const res = await api(
        `/api/devices/${encodeURIComponent(id)}/series?start=${encodeURIComponent(windowSel.value)}`,
      )
      const cols = res.columns.map((c, i) => ({ ...c, i })).filter((c) => c.kind === 'value')
      const rows = res.rows
      const data = [
        rows.map((r) => Date.parse(r[0]) / 1000 || Number(r[0]) / 1000),
        ...cols.map((c) => rows.map((r) => r[c.i])),
      ]
      info.textContent = `${rows.length} stored points${res.truncated ? ' (truncated)' : ''}; ${res.episodes.length} alarm episodes shaded`
      box.replaceChildren()
      const shade = (u) => {
        const ctx = u.ctx
        for (const ep of res.episodes) {
          const x0 = u.valToPos(ep.startMs / 1000, 'x', true),
            x1 = u.valToPos((ep.endMs ?? Date.now()) / 1000, 'x', true)
          ctx.fillStyle =
            ep.priority === 'high'
              ? 'rgba(255,0,0,0.2)'
              : ep.priority === 'medium'
                ? 'rgba(255,220,0,0.2)'
                : 'rgba(0,200,200,0.2)'
          ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height)
        }
      }
      const palette = ['#8f8', '#f88', '#8cf', '#fc8', '#c8f', '#ff8']
      const plot = new uPlot(
        {
          width: Math.min(1100, window.innerWidth - 40),
          height: 360,
          series: [
            {},
            ...cols.map((c, i) => ({
              label: LABELS[c.metric] ?? c.name,
              stroke: palette[i % palette.length],
            })),
          ],
          hooks: { drawClear: [shade] },
          axes: [{ stroke: '#ccc' }, { stroke: '#ccc' }],
        },
        data,
        box,
      )
      state.chart = { deviceId: id, plot, metrics: cols.map((c) => c.metric ?? c.name) }
    } catch (err) {
      info.textContent = `Stored vitals unavailable: ${err.message}`
      info.className = 'error'
    }
  }
  windowSel.addEventListener('change', load)
  void load()
  const d = state.devices.get(id)
  return [
    el('h2', {}, `Device ${id}`),
    el('p', {}, d ? `${d.site} · ${d.subject} · ${d.deviceType}` : ''),
    el('label', {}, 'Window ', windowSel),
    info,
    box,
  ]
}

function loginView() {
  const msg = el('p', { class: 'error' })
  const form = el(
    'form',
    { class: 'login' },
    el('h2', {}, 'Sign in'),
    el('input', { name: 'user', placeholder: 'user', autocomplete: 'username' }),
    el('input', {
      name: 'password',
      type: 'password',
      placeholder: 'password',
      autocomplete: 'current-password',
    }),
    el('button', { type: 'submit' }, 'Sign in'),
    msg,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      await api('/api/login', {
        method: 'POST',
        body: JSON.stringify({ user: form.user.value, password: form.password.value }),
      })
      await start()
    } catch (err) {
      msg.textContent = err.message
    }
  })
  return [form]
}

let lastRoute = null
async function render(routeChanged = true) {
  const route = location.hash.replace(/^#\/?/, '') || 'ward'
  const view = $('#view')
  $('#who').textContent = state.me ? `${state.me.user} (${state.me.role})` : ''
  $('#logout').hidden = !state.me
  showBanner()
  if (!state.me) return view.replaceChildren(...loginView())
  if (route.startsWith('device/')) {
    // The chart is built once per visit; live points are appended to it.
    if (!routeChanged && lastRoute === route) return
    lastRoute = route
    return view.replaceChildren(...(await deviceView(decodeURIComponent(route.slice(7)))))
  }
  lastRoute = route
  state.chart = null
  view.replaceChildren(
    ...(route === 'alarms' ? alarmsView() : route === 'pipeline' ? pipelineView() : wardView()),
  )
}

async function start() {
  try {
    const me = await api('/api/me')
    state.me = me?.user ? me : null
  } catch {
    state.me = null
  }
  if (!state.me) return render()
  await loadSnapshot()
  connect()
  await render()
}

$('#logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST', body: '{}' })
  state.source?.close()
  state.me = null
  render()
})
window.addEventListener('hashchange', () => render())
setInterval(() => schedule(), 5000) // communication loss appears even when nothing else arrives
start()
