package org.trackerd.engine.policy;

/** A policy that cannot be built (unreadable or malformed list, bad JWKS); the message names the file and line. */
public final class PolicyException extends Exception
{
    private static final long serialVersionUID = 1L;

    public PolicyException(final String message)
    {
        super(message);
    }

    public PolicyException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
