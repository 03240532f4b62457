package org.trackerd.io.udp;

import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/**
 * {@link UdpTrackerE2ETest}'s tests on the fallback path, the public {@link java.nio.channels.DatagramChannel} API,
 * forced with {@value UdpFrontend#JDK_IO_PROPERTY}.
 */
class UdpTrackerJdkIoE2ETest extends UdpTrackerE2ETest
{
    @BeforeAll
    static void boot() throws IOException
    {
        System.setProperty(UdpFrontend.JDK_IO_PROPERTY, "true");
        try
        {
            start(false, false);
        }
        finally
        {
            System.clearProperty(UdpFrontend.JDK_IO_PROPERTY);
        }
    }
}
