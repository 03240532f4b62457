package org.trackerd.io.udp;

import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/**
 * {@link UdpTrackerE2ETest}'s tests on the native path that receives and sends one datagram per system call
 * ({@link DatagramNatives}), forced with {@value UdpFrontend#SINGLE_IO_PROPERTY}.
 */
class UdpTrackerSingleIoE2ETest extends UdpTrackerE2ETest
{
    @BeforeAll
    static void boot() throws IOException
    {
        System.setProperty(UdpFrontend.SINGLE_IO_PROPERTY, "true");
        try
        {
            start(true, false);
        }
        finally
        {
            System.clearProperty(UdpFrontend.SINGLE_IO_PROPERTY);
        }
    }
}
