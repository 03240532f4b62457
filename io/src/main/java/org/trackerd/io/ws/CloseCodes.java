package org.trackerd.io.ws;

/**
 * The RFC 6455 (section 7.4) close codes this server sends, and the check of the codes a client may send.
 *
 * <p>Thread: constants and pure functions, any thread.
 */
public final class CloseCodes
{
    /** The purpose of the connection is fulfilled (also the answer to a close frame without a code). */
    public static final int NORMAL = 1000;
    /** The server is going down or gives up on an idle connection. */
    public static final int GOING_AWAY = 1001;
    /** A framing or protocol rule was broken: reserved bits, unknown opcode, unmasked frame, bad fragmentation. */
    public static final int PROTOCOL_ERROR = 1002;
    /** A data type this endpoint does not take (binary messages when they are not read as text). */
    public static final int UNSUPPORTED_DATA = 1003;
    /** Reported, never sent: the close frame carried no code. */
    public static final int NO_STATUS = 1005;
    /** A text message (or a close reason) that is not valid UTF-8. */
    public static final int INVALID_PAYLOAD = 1007;
    /** The peer broke a policy: floods, answers to offers it never got, too many connections. */
    public static final int POLICY_VIOLATION = 1008;
    /** A frame or a reassembled message larger than the configured bound. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** The server met a condition it could not handle (for example its request ring stayed full). */
    public static final int INTERNAL_ERROR = 1011;

    private CloseCodes()
    {
    }

    /**
     * True when a client may put {@code code} in a close frame: the codes RFC 6455 defines for the wire, the
     * registered 1012-1014, and the ranges left to libraries and applications (3000-4999). 1004, 1005, 1006
     * and 1015 are reserved for reporting and must never travel.
     */
    public static boolean isValidReceived(final int code)
    {
        if (code >= 1000 && code <= 1014)
        {
            return code != 1004 && code != 1005 && code != 1006;
        }
        return code >= 3000 && code <= 4999;
    }
}
