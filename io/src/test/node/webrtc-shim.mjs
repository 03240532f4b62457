// Stands in for 'webrtc-polyfill' (simple-peer's WebRTC for Node, whose native part node-datachannel downloads a
// binary at install, which cannot happen here): the same classes from @roamhq/wrtc, whose binary ships inside
// its npm package. Installed by webrtc-hook.mjs.
import wrtc from '@roamhq/wrtc'

export const { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate } = wrtc
export default wrtc
