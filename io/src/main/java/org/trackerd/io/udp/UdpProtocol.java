package org.trackerd.io.udp;

/**
 * Constants of the UDP tracker protocol (BEP 15) and its extensions (BEP 41). All integers on the wire are
 * big-endian.
 */
public final class UdpProtocol
{
    /** The magic a connect request carries where later requests carry their connection id. */
    public static final long PROTOCOL_ID = 0x41727101980L;

    public static final int ACTION_CONNECT = 0;
    public static final int ACTION_ANNOUNCE = 1;
    public static final int ACTION_SCRAPE = 2;
    public static final int ACTION_ERROR = 3;

    /** BEP 41 option types. */
    public static final int OPTION_END_OF_OPTIONS = 0;
    public static final int OPTION_NOP = 1;
    public static final int OPTION_URL_DATA = 2;

    public static final int INFO_HASH_LENGTH = 20;
    public static final int PEER_ID_LENGTH = 20;
    public static final int IPV4_PEER_LENGTH = 6;
    public static final int IPV6_PEER_LENGTH = 18;

    /**
     * Largest datagram the frontends receive or send. Larger datagrams are truncated by the kernel on receive; a
     * well-formed request is far smaller (a 74-hash scrape is 1496 bytes).
     */
    public static final int MAX_DATAGRAM_LENGTH = 65_536;

    private UdpProtocol()
    {
    }
}
