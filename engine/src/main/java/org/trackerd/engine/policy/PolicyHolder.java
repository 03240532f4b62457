package org.trackerd.engine.policy;

/**
 * The current {@link AccessPolicy}, swapped whole on reload through one volatile reference.
 * Frontends read it once per request; the reload thread writes it.
 *
 * <p>It also carries a request from the frontends to the reload thread: a token signed with a key id that the
 * JWKS does not hold may mean the issuer rotated its keys, so the JWKS should be fetched again soon.
 *
 * <p>Thread: any.
 */
public final class PolicyHolder
{
    private volatile AccessPolicy policy;
    private volatile boolean keyRefreshWanted;

    public PolicyHolder(final AccessPolicy initial)
    {
        this.policy = initial;
    }

    public AccessPolicy current()
    {
        return policy;
    }

    public void swap(final AccessPolicy next)
    {
        policy = next;
    }

    /** From a frontend: a token named an unknown key. Cheap and idempotent (a plain volatile write). */
    public void requestKeyRefresh()
    {
        if (!keyRefreshWanted)
        {
            keyRefreshWanted = true;
        }
    }

    /** From the reload thread: true once per request. */
    public boolean takeKeyRefreshRequest()
    {
        if (keyRefreshWanted)
        {
            keyRefreshWanted = false;
            return true;
        }
        return false;
    }
}
