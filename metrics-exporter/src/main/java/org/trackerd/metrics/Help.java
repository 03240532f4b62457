package org.trackerd.metrics;

import java.util.Map;

/** HELP texts of the tracker's metric families (METRICS.md lists them all). */
final class Help
{
    private static final Map<String, String> TEXTS = Map.ofEntries(
        Map.entry("trackerd_requests", "Requests by protocol, action, address family and outcome"),
        Map.entry("trackerd_engine_announces", "Announces processed by the swarm processor"),
        Map.entry("trackerd_engine_scrapes", "Scrapes processed by the swarm processor"),
        Map.entry("trackerd_engine_peers_added", "Peers that joined a swarm"),
        Map.entry("trackerd_engine_peers_stopped", "Peers that left with event=stopped"),
        Map.entry("trackerd_engine_peers_expired", "Peers dropped after peer_lifetime without announcing"),
        Map.entry("trackerd_engine_torrents_created", "Swarms created"),
        Map.entry("trackerd_engine_torrents_removed", "Swarms removed when their last peer left"),
        Map.entry("trackerd_engine_downloads_completed", "Completed downloads counted (once per peer)"),
        Map.entry("trackerd_engine_rejected_full", "Announces refused because the store is at capacity"),
        Map.entry("trackerd_engine_rejected_peer_id_conflict", "Announces refused: peer_id in use from another address"),
        Map.entry("trackerd_engine_processor_errors", "Requests and ticks whose processing threw (a bug): answered with an error"),
        Map.entry("trackerd_agent_errors", "Unexpected exceptions an agent caught and went on from, by agent"),
        Map.entry("trackerd_torrents", "Torrents with at least one peer"),
        Map.entry("trackerd_seeders", "Peers with left=0"),
        Map.entry("trackerd_leechers", "Peers still downloading"),
        Map.entry("trackerd_http_connections_open", "Open HTTP connections"),
        Map.entry("trackerd_http_connections_accepted", "HTTP connections accepted"),
        Map.entry("trackerd_http_connections_rejected", "HTTP connections closed at accept: connection limit"),
        Map.entry("trackerd_http_connections_closed", "HTTP connections closed"),
        Map.entry("trackerd_http_connections_timed_out", "HTTP connections closed for idling, trickling or not reading"),
        Map.entry("trackerd_http_bytes_in", "Bytes read from HTTP clients"),
        Map.entry("trackerd_http_bytes_out", "Bytes written to HTTP clients"),
        Map.entry("trackerd_access_rejected", "Requests refused by the access policy, by reason"),
        Map.entry("trackerd_access_jwt_cache_hits", "JWT approvals served from a frontend thread's cache"),
        Map.entry("trackerd_access_jwt_verifications", "Full JWT verifications (cache misses)"));

    private Help()
    {
    }

    static String of(final String name)
    {
        return TEXTS.getOrDefault(name, name.substring(CountersCollector.PREFIX.length()).replace('_', ' '));
    }
}
