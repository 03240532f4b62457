package org.trackerd.engine;

/** ASCII helpers shared by the wire parsers; no {@code String} involved. Any thread. */
public final class Ascii
{
    private Ascii()
    {
    }

    /** Value of a hexadecimal digit ({@code 0-9a-fA-F}), or -1. */
    public static int hexDigit(final byte b)
    {
        if (b >= '0' && b <= '9')
        {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f')
        {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F')
        {
            return b - 'A' + 10;
        }
        return -1;
    }
}
