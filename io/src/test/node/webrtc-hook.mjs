// Module hook: resolves 'webrtc-polyfill' to webrtc-shim.mjs. Register it before importing bittorrent-tracker:
//   import { register } from 'node:module'
//   register('./webrtc-hook.mjs', import.meta.url)
//   const { default: Client } = await import('bittorrent-tracker')
const shim = new URL('./webrtc-shim.mjs', import.meta.url).href

export async function resolve (specifier, context, next) {
  if (specifier === 'webrtc-polyfill') return { url: shim, shortCircuit: true }
  return next(specifier, context)
}
