// The reference WebTorrent tracker (npm bittorrent-tracker's own server), WebSocket only, on loopback.
// Prints one JSON line {"listening":PORT} when it accepts connections, then one line per tracker event.
// Usage: node ref-server.mjs [port] [--exit-on-stdin-end] [--quiet]   (port 0 or absent: an ephemeral one). Stops on SIGTERM,
// and with the flag when its standard input closes (so a test that started it cannot leave it running).
import { register } from 'node:module'

register('./webrtc-hook.mjs', import.meta.url) // before bittorrent-tracker loads simple-peer
const { Server } = await import('bittorrent-tracker')

const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false })
const line = obj => process.stdout.write(JSON.stringify(obj) + '\n')

server.on('error', err => { line({ error: err.message }); process.exit(1) })
server.on('warning', err => line({ warning: err.message }))
// --quiet (benchmarks): no line per event, which would cost the server a write per announce
if (!process.argv.includes('--quiet')) {
  for (const event of ['start', 'complete', 'update', 'stop']) {
    server.on(event, addr => line({ event, peer: addr }))
  }
}
server.on('listening', () => line({ listening: server.ws.address().port }))
server.listen(Number(process.argv.slice(2).find(a => /^\d+$/.test(a)) || 0), '127.0.0.1')

const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
if (process.argv.includes('--exit-on-stdin-end')) {
  process.stdin.on('end', stop)
  process.stdin.resume()
}
