package org.trackerd.engine;

/** ASCII helpers shared by the wire parsers; no {@code String} involved. Any thread. */
public final class Ascii
{
    private Ascii()
    {
    }

    /** Value of each byte as a hexadecimal digit, -1 for a byte that is none: one load instead of three tests. */
    private static final byte[] HEX_VALUE = new byte[256];

    static
    {
        java.util.Arrays.fill(HEX_VALUE, (byte)-1);
        for (int d = 0; d < 10; d++)
        {
            HEX_VALUE['0' + d] = (byte)d;
        }
        for (int d = 0; d < 6; d++)
        {
            HEX_VALUE['a' + d] = (byte)(10 + d);
            HEX_VALUE['A' + d] = (byte)(10 + d);
        }
    }

    /** Value of a hexadecimal digit ({@code 0-9a-fA-F}), or -1. */
    public static int hexDigit(final byte b)
    {
        return HEX_VALUE[b & 0xFF];
    }
}
