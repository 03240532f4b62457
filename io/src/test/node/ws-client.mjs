// Runs the npm bittorrent-tracker WebSocket client (what webtorrent uses) against a ws:// tracker and prints,
// as JSON lines, everything it saw: each message sent and received (ids as hex, SDP by length unless --raw),
// announce responses ('update'), peers from offer/answer relay ('peer'), scrape answers, warnings.
//
// Scenario: client A (a seeder, left 0) announces with offers; once the tracker answered it, client B (a
// leecher) announces with offers, so the tracker must forward B's offers to A and relay A's answer back to B;
// then B scrapes; then both stop. The last line is {"done":true,...} with exit code 0 when A received an
// offer, B received an answer, both got announce responses and B a scrape with A counted; otherwise
// {"done":false,"missing":[...]} and exit code 1 (also when --timeout-ms passes first).
//
// Usage: node ws-client.mjs --url ws://127.0.0.1:PORT/announce [--info-hash HEX40] [--timeout-ms 20000] [--raw]
// --raw: session descriptions in full, and each message's exact text on the wire as "wire".
import { register } from 'node:module'
import { randomBytes } from 'node:crypto'

register('./webrtc-hook.mjs', import.meta.url) // before bittorrent-tracker loads simple-peer
const { default: Client } = await import('bittorrent-tracker')
const { default: wrtc } = await import('@roamhq/wrtc')

const args = process.argv.slice(2)
const opt = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const url = opt('--url')
if (!url) {
  process.stderr.write('--url ws://host:port/announce is required\n')
  process.exit(2)
}
const infoHash = opt('--info-hash', randomBytes(20).toString('hex'))
const timeoutMs = Number(opt('--timeout-ms', 20000))
const raw = args.includes('--raw')
const line = obj => process.stdout.write(JSON.stringify(obj) + '\n')
const hex = s => Buffer.from(s, 'latin1').toString('hex')

/** A message with its binary strings as hex and its session descriptions summarised (or kept with --raw). */
function readable (msg) {
  const out = {}
  for (const [k, v] of Object.entries(msg)) {
    if (['info_hash', 'peer_id', 'to_peer_id', 'offer_id'].includes(k) && typeof v === 'string') out[k] = hex(v)
    else if (k === 'info_hash' && Array.isArray(v)) out[k] = v.map(hex)
    else if ((k === 'offer' || k === 'answer') && v && typeof v === 'object') out[k] = sdp(v)
    else if (k === 'offers' && Array.isArray(v)) out[k] = v.map(o => ({ offer: sdp(o.offer), offer_id: hex(o.offer_id) }))
    else if (k === 'files' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([h, f]) => [hex(h), f]))
    else out[k] = v
  }
  return out
}
const sdp = d => (raw ? d : { type: d.type, sdpLength: (d.sdp || '').length })

const seen = { aUpdate: false, bUpdate: false, aOffer: false, bAnswer: false, scrape: false }
const clients = {}

function makeClient (name, left) {
  // a query of its own keeps the two clients off one pooled socket (the client pools sockets by URL)
  const announce = new URL(url)
  announce.searchParams.set('fixture_client', name)
  const client = new Client({
    infoHash,
    peerId: Buffer.from(('-FX0001-' + name).padEnd(20, name.toLowerCase())),
    announce: [announce.toString()],
    port: 6881,
    wrtc,
    rtcConfig: { iceServers: [] },
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: left === 0 ? 1024 : 0, left })
  })
  const tracker = client._trackers[0]
  const send = tracker._send.bind(tracker)
  tracker._send = params => {
    // JSON.stringify(params) is exactly the text the client puts in its frame
    line({ client: name, dir: 'send', msg: readable(params), ...(raw ? { wire: JSON.stringify(params) } : {}) })
    send(params)
  }
  const onData = tracker._onSocketData.bind(tracker)
  tracker._onSocketData = data => {
    let msg
    try {
      msg = JSON.parse(Buffer.from(data).toString('utf8'))
    } catch (err) {
      line({ client: name, dir: 'recv', unparsable: Buffer.from(data).toString('utf8') })
      return onData(data)
    }
    line({ client: name, dir: 'recv', msg: readable(msg), ...(raw ? { wire: Buffer.from(data).toString('utf8') } : {}) })
    if (name === 'A' && msg.offer) seen.aOffer = true
    if (name === 'B' && msg.answer) seen.bAnswer = true
    onData(data)
    check()
  }
  client.on('update', r => {
    line({ client: name, event: 'update', complete: r.complete, incomplete: r.incomplete })
    seen[name === 'A' ? 'aUpdate' : 'bUpdate'] = true
    if (name === 'A' && !clients.B) {
      clients.B = makeClient('B', 4096)
      clients.B.start()
    }
    check()
  })
  client.on('scrape', r => {
    line({ client: name, event: 'scrape', complete: r.complete, incomplete: r.incomplete, downloaded: r.downloaded })
    if (r.complete >= 1) seen.scrape = true
    check()
  })
  client.on('peer', peer => {
    line({ client: name, event: 'peer', peerId: peer.id })
    peer.on('error', () => {}) // the data channel may not come up on a host without routes: signalling is the test
  })
  client.on('warning', err => line({ client: name, event: 'warning', message: err.message }))
  client.on('error', err => line({ client: name, event: 'error', message: err.message }))
  return client
}

let scraped = false
let finished = false
function check () {
  if (seen.aUpdate && seen.bUpdate && seen.aOffer && seen.bAnswer && !scraped) {
    scraped = true
    clients.B.scrape()
  }
  if (Object.values(seen).every(Boolean)) finish(true)
}

function finish (ok) {
  if (finished) return
  finished = true
  clearTimeout(timer)
  const missing = Object.entries(seen).filter(([, v]) => !v).map(([k]) => k)
  line({ done: ok, infoHash, missing })
  const all = Object.values(clients)
  let left = all.length
  const exit = () => process.exit(ok ? 0 : 1)
  const hard = setTimeout(exit, 2000)
  hard.unref()
  for (const c of all) {
    c.stop()
    c.destroy(() => { if (--left === 0) exit() })
  }
}

const timer = setTimeout(() => finish(false), timeoutMs)
clients.A = makeClient('A', 0)
clients.A.start()
