// Two headless Chromium pages running the `webtorrent` browser bundle: page A seeds a file, page B downloads it
// with one ws:// tracker as its only peer source (no DHT, no other tracker, no web seed), over real WebRTC.
//
// Run it inside a fresh network namespace (`unshare -n node browser-e2e.mjs --netns ...`): Chromium offers no
// loopback ICE candidates and none at all without a default route, so with --netns the script first brings up
// loopback and a veth pair whose both ends stay inside the namespace (an address on each, a default route on
// one). Nothing leaves the namespace. The tracker outside is reached through a unix socket: the script listens
// on 127.0.0.1 inside and pipes each connection to --tracker-unix (the test relays that to the tracker).
// The pages and the bundle come from a loopback HTTP server of this script; nothing is fetched from elsewhere.
//
// Prints JSON lines: {"netns":true}, {"listening":{"pages":P,"tracker":T}}, {"browser":"version"},
// {"seeding":{"infoHash":...}}, {"event":...} progress, last {"done":true|false,"sha256":...,"error":...};
// exit code 0 only when page B finished and the SHA-256 of what it holds is computed (the caller compares it).
//
// Usage: node browser-e2e.mjs --tracker-unix PATH --file PATH [--netns] [--timeout-ms 90000]
//        [--chromium /usr/bin/chromium] [--leecher-first] [--spki BASE64]
// --spki: wss:// (the unix socket leads to a TLS listener), its certificate pinned by its key's SHA-256.
// --leecher-first: page B announces (and is answered) before page A seeds, so A's offers must reach B.
import { execFileSync } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, connect } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import puppeteer from 'puppeteer-core'

const args = process.argv.slice(2)
const opt = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const line = obj => process.stdout.write(JSON.stringify(obj) + '\n')
const trackerUnix = opt('--tracker-unix')
const filePath = opt('--file')
const timeoutMs = Number(opt('--timeout-ms', 90000))
const chromium = opt('--chromium', '/usr/bin/chromium')
if (!trackerUnix || !filePath) {
  process.stderr.write('--tracker-unix PATH and --file PATH are required\n')
  process.exit(2)
}

let browser
let userDataDir
let finished = false
async function finish (result, code) {
  if (finished) return
  finished = true
  line(result)
  try { if (browser) await browser.close() } catch (e) { process.stderr.write(`browser close: ${e}\n`) }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
  process.exit(code)
}
const deadline = setTimeout(() => finish({ done: false, error: `timeout after ${timeoutMs} ms` }, 1), timeoutMs)
deadline.unref()

if (args.includes('--netns')) {
  // Inside our own namespace: 10.77.0.0/24 exists only here, so a default route through it reaches nothing.
  const ip = (...a) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'inherit'] })
  // No IPv6 in here: link-local addresses would appear on the veth ends after duplicate-address detection, a
  // second or so into the run, and Chromium takes an address change for a network change mid-negotiation.
  writeFileSync('/proc/sys/net/ipv6/conf/all/disable_ipv6', '1')
  writeFileSync('/proc/sys/net/ipv6/conf/default/disable_ipv6', '1')
  ip('link', 'set', 'lo', 'up')
  ip('link', 'add', 'wt0', 'type', 'veth', 'peer', 'name', 'wt1')
  ip('addr', 'add', '10.77.0.1/24', 'dev', 'wt0')
  ip('addr', 'add', '10.77.0.2/24', 'dev', 'wt1')
  ip('link', 'set', 'wt0', 'up')
  ip('link', 'set', 'wt1', 'up')
  ip('route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'wt0')
  line({ netns: true })
}

const listen = server => new Promise((resolve, reject) => {
  server.once('error', reject)
  server.listen(0, '127.0.0.1', () => resolve(server.address().port))
})

// The tracker, relayed in: every connection here is piped to the unix socket the test serves.
const relay = createTcpServer(inbound => {
  const outbound = connect({ path: trackerUnix })
  inbound.pipe(outbound).pipe(inbound)
  const drop = () => { inbound.destroy(); outbound.destroy() }
  inbound.on('error', drop).on('close', drop)
  outbound.on('error', drop).on('close', drop)
})
const trackerPort = await listen(relay)

const bundle = readFileSync(join(fileURLToPath(import.meta.url), '..', 'node_modules', 'webtorrent', 'dist',
  'webtorrent.min.js'))
const data = readFileSync(filePath)
const page = Buffer.from('<!doctype html><meta charset="utf-8"><title>trackerd webtorrent</title>' +
  // the bundle is an ES module; the page puts its default export where page.evaluate finds it
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>')
const pages = createHttpServer((req, res) => {
  const body = req.url === '/webtorrent.min.js' ? bundle : req.url === '/data.bin' ? data
    : req.url === '/' ? page : null
  if (!body) {
    res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end()
    return
  }
  const type = req.url.endsWith('.js') ? 'text/javascript' : req.url === '/' ? 'text/html' : 'application/octet-stream'
  res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body)
})
const pagesPort = await listen(pages)
line({ listening: { pages: pagesPort, tracker: trackerPort } })

// --spki B64: the tracker speaks TLS (wss://); Chromium trusts exactly the certificate whose public key has this
// SHA-256 (base64), for this browser only, instead of a CA installed on the host.
const spki = opt('--spki')
const announce = `${spki ? 'wss' : 'ws'}://127.0.0.1:${trackerPort}/announce`
// No STUN or TURN (iceServers empty), no DHT, no local discovery, no web seeds: the tracker is the only way
// the two pages can find each other.
const clientOptions = { dht: false, lsd: false, utpTimeout: 0, webSeeds: false, tracker: { rtcConfig: { iceServers: [] } } }

try {
  userDataDir = mkdtempSync(join(tmpdir(), 'trackerd-chromium-'))
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns',
      ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : [])],
    protocolTimeout: timeoutMs
  })
  line({ browser: await browser.version() })

  const open = async name => {
    const p = await browser.newPage()
    p.on('console', m => line({ page: name, console: m.text() }))
    p.on('pageerror', e => line({ page: name, pageerror: String(e) }))
    await p.goto(`http://127.0.0.1:${pagesPort}/`)
    return p
  }
  const seeder = await open('A')
  const leecher = await open('B')

  // Page A seeds; ready once the tracker answered its announce (so a leecher announcing next finds it).
  const seed = () => seeder.evaluate(async (announce, clientOptions) => {
    const bytes = new Uint8Array(await (await fetch('/data.bin')).arrayBuffer())
    window.client = new WebTorrent(clientOptions)
    window.client.on('error', e => console.log('client error ' + e))
    return await new Promise((resolve, reject) => {
      window.client.on('error', reject)
      const t = window.client.seed(new File([bytes], 'data.bin'), { announce: [announce], name: 'data.bin' })
      t.on('wire', w => console.log('seeder: wire ' + w.remoteAddress))
      t.on('warning', e => console.log('seeder: warning ' + e))
      t.once('trackerAnnounce', () => {
        console.log('seeder: tracker answered')
        resolve({ infoHash: t.infoHash, magnetURI: t.magnetURI, length: t.length, announce: t.announce })
      })
    })
  }, announce, clientOptions)
  // The same torrent's magnet without announcing it (tracker off, client destroyed): for --leecher-first.
  const magnetOnly = () => seeder.evaluate(async (announce, clientOptions) => {
    const bytes = new Uint8Array(await (await fetch('/data.bin')).arrayBuffer())
    const client = new WebTorrent({ ...clientOptions, tracker: false })
    const magnetURI = await new Promise(resolve =>
      client.seed(new File([bytes], 'data.bin'), { announce: [announce], name: 'data.bin' }, t => resolve(t.magnetURI)))
    await new Promise(resolve => client.destroy(resolve))
    return magnetURI
  }, announce, clientOptions)
  // Page B adds the magnet; returns once the tracker answered its announce, the download goes on.
  const startLeecher = magnetURI => leecher.evaluate(async (magnetURI, announce, clientOptions) => {
    window.client = new WebTorrent(clientOptions)
    let announced
    const answered = new Promise(resolve => { announced = resolve })
    window.download = new Promise((resolve, reject) => {
      window.client.on('error', reject)
      const t = window.client.add(magnetURI, { announce: [announce] })
      t.on('error', reject)
      t.on('wire', w => console.log('leecher: wire ' + w.remoteAddress))
      t.on('warning', e => console.log('leecher: warning ' + e))
      t.on('trackerAnnounce', () => { console.log('leecher: tracker answered'); announced() })
      t.on('done', async () => {
        try {
          const buf = await t.files[0].arrayBuffer()
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf))
          resolve({
            sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''),
            length: buf.byteLength,
            announce: t.announce,
            peers: t.wires.map(w => w.type),
            webSeeds: t.urlList ? t.urlList.length : 0
          })
        } catch (e) {
          reject(e)
        }
      })
    })
    window.download.catch(() => {})
    await Promise.race([answered, window.download])
  }, magnetURI, announce, clientOptions)

  let seeded
  if (args.includes('--leecher-first')) {
    // the leecher is in the swarm first: the seeder's offers must reach it
    await startLeecher(await magnetOnly())
    line({ leecher: 'announced' })
    seeded = await seed()
  } else {
    seeded = await seed()
    await startLeecher(seeded.magnetURI)
  }
  line({ seeding: seeded })
  if (seeded.announce.length !== 1 || seeded.announce[0] !== announce) {
    throw new Error(`the torrent announces to more than our tracker: ${JSON.stringify(seeded.announce)}`)
  }
  const got = await leecher.evaluate(() => window.download)
  await finish({ done: true, ...got }, 0)
} catch (e) {
  await finish({ done: false, error: String(e && e.stack || e) }, 1)
}
