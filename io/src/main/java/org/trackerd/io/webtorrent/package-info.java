/**
 * The WebTorrent tracker protocol (the JSON messages of the npm {@code bittorrent-tracker} and
 * {@code webtorrent} packages, carried in WebSocket text messages by {@code org.trackerd.io.ws}), and the plan by
 * which browser peers join the same engine as the BitTorrent ones.
 *
 * <h2>What is here</h2>
 * <ul>
 * <li>{@link org.trackerd.io.webtorrent.JsonScanner}: a bounded, allocation-free JSON pull scanner (its Javadoc
 * says why not a general parser on this path).</li>
 * <li>{@link org.trackerd.io.webtorrent.WebTorrentRequestDecoder} into a reusable
 * {@link org.trackerd.io.webtorrent.WebTorrentRequest}: announce (with offers), answer, scrape; ids as raw bytes,
 * each offer's and answer's session description left in place as a slice of the message, since it is relayed
 * verbatim and never read.</li>
 * <li>{@link org.trackerd.io.webtorrent.WebTorrentResponseEncoder}: announce answer, forwarded offer, relayed
 * answer, scrape answer, failure.</li>
 * </ul>
 *
 * <h2>As built (issue 21)</h2>
 * The plan below is served by {@code org.trackerd.io.http.WebTorrentRoute} (the upgrade and the connection's
 * messages, on the HTTP frontend's thread), {@link org.trackerd.io.webtorrent.WebTorrentRelays} (the relay rings)
 * and the engine's {@code swarm.WebRtcSwarms}, with two differences: the WebRTC peer sets are kept on the
 * processor's heap rather than in a Chronicle Map of their own (a persisted handle names a connection of a dead
 * process, so nothing could be relayed to it; re-announces rebuild the sets within seconds, and the store's format
 * is untouched), and a relay message carries the target's JSON message already encoded by the thread that read
 * the offer (the owner only frames it). Not built yet: the per-connection message rate limit.
 *
 * <h2>Design: WebRTC peers in the single-writer swarm processor</h2>
 *
 * <p><b>A peer set of their own.</b> A browser peer can only open WebRTC data channels, so it is useless to a
 * TCP/UDP peer and the other way round. Each torrent therefore gets a second peer set for WebRTC peers, kept by
 * the same swarm processor (the only writer) in a Chronicle Map of its own under the data directory, sized by its
 * own configuration and persisted like the others. A WebRTC peer is keyed by its peer_id (the reference server
 * does the same: the address of a browser is meaningless to others) and its "address" is where its socket lives:
 * a connection handle (the process's boot epoch, frontend id, connection slot, generation). After a restart the
 * persisted handles carry the old epoch, so no offer is sent to a dead connection; the peers stay counted until
 * they re-announce (the npm client reconnects within seconds to minutes and re-announces, which replaces the
 * handle) or expire after {@code peer_lifetime}. Peer selection for an HTTP or UDP announce never reads the
 * WebRTC set, and the WebRTC selection never reads the other.
 *
 * <p><b>How counts combine.</b> {@code complete} and {@code incomplete} in every answer (announce and scrape, any
 * protocol) are the sums over both sets: they count the torrent's peers, as the reference server does (one swarm,
 * peers of every type, selection by type). {@code downloaded} is one per torrent: a {@code completed} event from
 * either protocol adds to the same count. Metrics split the sets (peers by kind) for operators who want them apart.
 *
 * <p><b>Announce with offers.</b> The frontend thread decodes the message and publishes one request (kind
 * WebRTC announce) with the ids and counters and the offer_ids (20 bytes each, at most {@code max_offers}); the
 * session descriptions do not enter the ring. The processor updates the peer, picks up to
 * {@code min(offers, numwant)} other WebRTC peers of the torrent, records each (offer_id, offering peer) pair
 * against the peer it goes to (a small bounded table per swarm, in memory only, entries older than the client's
 * 50-second offer timeout discarded), and answers the originating frontend through its response ring with the
 * counts and, per offer, the target's connection handle. That frontend thread then writes the announce answer
 * to its own socket and, for each target, one relay message into the target frontend's relay ring: an Agrona
 * {@code ManyToOneRingBuffer} per frontend thread (producers: any frontend thread; consumer: its owner only),
 * holding the handle, kind, offer_id, the offering peer_id, the info_hash and the offer's JSON value. The owner
 * drains it in its duty cycle, drops messages whose connection generation no longer matches (counted), encodes
 * the forwarded offer ({@link org.trackerd.io.webtorrent.WebTorrentResponseEncoder#offer}) and writes it. So the
 * relay is a processor decision and the kilobytes of SDP cross threads exactly once, from the thread that read
 * them to the thread that owns the target socket, without passing through the processor, whose work per offer
 * stays a few id comparisons; request and response slots stay fixed-size; and no thread but a socket's owner
 * ever writes to it. The originating connection reads nothing more until the processor's answer is back (one
 * request in flight per connection, as for HTTP), so the message buffer holding the offers stays valid until
 * they are copied.
 *
 * <p><b>Answers.</b> An answer message is published with peer_id, to_peer_id and offer_id. The processor relays
 * it only if that offer_id from to_peer_id was recorded as sent to this peer (the reference relays any answer to
 * any peer; here an answer to an offer never sent is dropped and counted, and a connection that keeps doing it is
 * closed with 1008). Its answer names the offering peer's handle; the answering frontend copies the answer's
 * JSON value into that frontend's relay ring as above. No announce answer is sent for an answer message, as the
 * reference does not send one.
 *
 * <p><b>Leaving.</b> {@code stopped} removes the peer from the WebRTC set. A closed socket does the same: each
 * connection remembers the (info_hash, peer_id) pairs it announced (bounded: {@code max_torrents_per_connection};
 * the npm client shares one socket among all torrents of a tracker URL), and its close publishes a stopped request
 * for each. Peers of connections that vanish without a close expire like any other.
 *
 * <p><b>Limits and what breaking them costs</b> (all counted):
 * <ul>
 * <li>WebSocket frame and message size ({@code max_message_bytes}, default 64 KiB: five offers of the npm client
 * are 7-15 KB; the reference accepts 100 MiB): close 1009 before the payload is read.</li>
 * <li>Offers per announce ({@code max_offers}, default 10; the npm client sends at most 5, the reference relays up
 * to 82): the rest are left out, the announce proceeds (their offers time out in the client).</li>
 * <li>Connections per client address: the HTTP frontend's {@code max_connections_per_ip} covers upgraded
 * connections too; a WebSocket lives long, so the operator may want a separate, smaller bound.</li>
 * <li>Messages per connection per second (a token bucket): a flood is closed with 1008.</li>
 * <li>Idle and ping: the npm client sends nothing between announces (the WebSocket interval is the announce
 * interval; the reference answers 2 minutes), so the server pings after a silence
 * ({@code ping_interval}) and closes (1001) after {@code idle_timeout} without any frame, which must exceed the
 * announce interval; browsers answer pings by themselves.</li>
 * <li>Malformed JSON, wrong types or lengths: a {@code failure reason} message (with {@code action} and
 * {@code info_hash} when they were read, so the npm client keeps its socket and shows a warning), the connection
 * stays. Invalid UTF-8: close 1007. Protocol violations: 1002. A relay ring or the request ring full: the
 * announce gets a failure reason ({@code 1011} close only if it persists).</li>
 * </ul>
 * Access control (info_hash lists, client lists by peer_id prefix, JWT in the URL query of the upgrade request)
 * runs at the frontend on each announce exactly as for HTTP, and the request counters count WebSocket requests
 * by action and outcome like the others.
 *
 * <p>Thread: every class here is used by one frontend thread at a time (see each class).
 */
package org.trackerd.io.webtorrent;
