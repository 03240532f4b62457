/**
 * Swarm state and the one agent that writes it: the {@link org.trackerd.engine.swarm.SwarmProcessor} and its
 * parts, over off-heap Chronicle Maps persisted in memory-mapped files ({@link org.trackerd.engine.swarm.SwarmStore}).
 *
 * <p>The rooms, by the job each class owns (all on the processor's thread unless said otherwise):
 * <pre>
 * dispatch        SwarmProcessor      takes ring events in sequence, hands each to its part, publishes the answer
 * store           SwarmStore          the 16 shard maps; open() decides a StorePlan, then carries it out
 *                 StorePlan           what an open found: recover, unlock, undo, repair, scan (immutable)
 *                 InFlight            the mapped file telling the next start what was under way
 * pages           Page                the page layout: header, 60-byte records in six buckets, spare slots;
 *                                     compact pages of 36-byte records for a swarm of 1-4 IPv4-only peers
 *                 PeerRecord          flyweight over one record: addresses, ownership, expiry, identity
 *                 PageAccess          opens, locks and wraps a page (the one Chronicle query context; none for a
 *                                     page the PageCache knows, until the map's structure changes)
 *                 MapWrites           insert / replace / remove of an entry: journaled, page cache forgotten
 *                 SwapJournal         journals each swap of a mapped page; keeps a big swarm's index in step
 * announce        OnePageAnnounce     swarms of one page; re-announces and churn in place from the PageCache
 *                 BigSwarms           swarms of several pages (254 records each) and their BigSwarm indexes
 *                 BigSwarmTable       those indexes by infohash (open addressing, the infohash in the table)
 *                 PeerWriter          writes an announce into a record and files it in its bucket
 *                 AnnounceOutcome     how an announce ended in a part (answered, refused, promote, index)
 * selection       PeerSelection       the peers an answer gets; its state is the current announce's
 * scrape          Scrape              counts of up to N swarms from page 0 or the index
 * expiry          ExpirySweep         a slice per clock tick; PageExpiry cuts what expired from a page
 * start-up        StartupScan         once, before the first request: undo, repair, count, index
 * counts, stats   SwarmCounts         torrents, peers, population; gauges; per-shard counts in InFlight
 *                 TopSwarms           the largest swarms for /stats, gathered along the sweep
 * accounting      SwarmAccounting     what private mode records; NONE in public mode
 * </pre>
 *
 * <p>One announce, from the request ring to the response ring:
 * <ol>
 * <li>{@code SwarmProcessor.onBatchStart} reads the injected wall clock once into a cached clock: every peer of the
 * batch is seen at the same second.</li>
 * <li>{@code onEvent} marks the in-flight file busy and claims a slot of the asking frontend's response ring (a
 * full ring skips the request, unapplied, and counts it).</li>
 * <li>No big swarm has the infohash (no hashing at all while there is none): {@code OnePageAnnounce} names page 0
 * (the in-flight file records the swarm) and asks the {@code PageCache} where it lies. A known peer re-announcing
 * is found in the page ({@code Page.find}), proves it owns the peer id ({@code PeerRecord.isSameClient}), and
 * {@code PeerWriter} writes the announce into its record in place and walks it to its bucket; each swap of two
 * records in the mapped page is journaled around it by the {@code SwapJournal}. A new peer is written the same way
 * into a free slot of a page with spare slots ({@code PeerWriter.add}: the record whole first, then the page's
 * count), and a peer leaving is walked to the end and uncounted ({@code Page.removeInPlace}): churn costs what a
 * re-announce costs.</li>
 * <li>Anything else (a page with no free slot, a page to shrink, a swarm not cached) opens the page through
 * {@code PageAccess} (query context, update lock, the page wrapped in place): a page with no free slot grows into a
 * value about a quarter longer, built in a reused array and put back through {@code MapWrites}, which marks the in-flight file
 * structural while the map changes. A swarm of a few IPv4-only peers is a compact page (36-byte records), made a
 * page of the full layout the same way before an IPv6 address goes in or its fifth peer comes. A page of 254 records hands the announce to {@code BigSwarms} (PROMOTE),
 * which indexes the swarm and takes one page lock at a time.</li>
 * <li>{@code PeerSelection} reads one window of the records the requester may get from each page into the
 * answer (preferred subnet: candidates first, local ones handed out first), and the swarm's counts are
 * copied in.</li>
 * <li>{@code SwarmAccounting} gives the downloaded count to report and, in private mode, records the
 * announce's deltas.</li>
 * <li>The slot is published; {@code SwarmCounts} adds the change to the shard's counts in the in-flight file and
 * marks it idle; at the end of the batch every frontend with answers is woken, and its own thread writes them.</li>
 * </ol>
 * A clock tick on the same ring runs an {@code ExpirySweep} slice; the {@code StartupScan} runs once before the
 * processor's thread starts. Nothing here allocates per request.
 */
package org.trackerd.engine.swarm;
