// A WebSocket announce load (with offers) against any WebTorrent tracker (trackerd or ref-server.mjs), for
// scripts/bench-webtorrent.sh. Each connection is one peer: it announces (with --offers offers of a ~1.5 KB
// session description each) to one of --torrents torrents, waits for the announce answer, and announces again;
// forwarded offers it receives are counted and otherwise ignored (no answers: the load is announce + offer relay).
// Usage: node ws-load.mjs --url ws://127.0.0.1:PORT/announce [--connections 64] [--seconds 10] [--warmup 3]
//        [--offers 5] [--torrents 16]
// Prints one JSON line: {"answers":N,"offersReceived":N,"seconds":S,"perSecond":R} over the measured part only.
import WebSocket from 'ws'

const arg = (name, dflt) => {
  const i = process.argv.indexOf('--' + name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const url = arg('url')
const connections = Number(arg('connections', 64))
const seconds = Number(arg('seconds', 10))
const warmup = Number(arg('warmup', 3))
const offers = Number(arg('offers', 5))
const torrents = Number(arg('torrents', 16))

const id = (prefix, n) => (prefix + String(n).padStart(20, '0')).slice(-20).padStart(20, prefix)
const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' + 'a=candidate:0 1 UDP 2122252543 192.0.2.1 5000 typ host\r\n'.repeat(24)

let measuring = false
let answers = 0
let offersReceived = 0
let seq = 0

function open (n) {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const peerId = id('P', n)
  const infoHash = id('T', n % torrents)
  const announce = () => {
    const list = []
    for (let i = 0; i < offers; i++) list.push({ offer: { type: 'offer', sdp }, offer_id: id('O', seq++) })
    ws.send(JSON.stringify({
      action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: offers, uploaded: 0, downloaded: 0,
      left: n % 2 === 0 ? 0 : 1000, event: 'started', offers: list
    }))
  }
  ws.on('open', announce)
  ws.on('message', data => {
    const msg = JSON.parse(data.toString())
    if (msg.offer) {
      if (measuring) offersReceived++
      return
    }
    if (msg.interval !== undefined || msg['failure reason'] !== undefined) {
      if (measuring) answers++
      announce()
    }
  })
  ws.on('error', err => { process.stderr.write('connection ' + n + ': ' + err.message + '\n') })
}

for (let n = 0; n < connections; n++) open(n)
setTimeout(() => {
  measuring = true
  const started = process.hrtime.bigint()
  setTimeout(() => {
    measuring = false
    const s = Number(process.hrtime.bigint() - started) / 1e9
    process.stdout.write(JSON.stringify({ answers, offersReceived, seconds: s, perSecond: answers / s }) + '\n')
    process.exit(0)
  }, seconds * 1000)
}, warmup * 1000)
