package org.trackerd.jmh;

import org.openjdk.jmh.annotations.Fork;

/**
 * Base of every benchmark here: JMH reads {@code @Fork} from superclasses, so the flags of {@link JvmFlags}
 * reach every forked JVM from this one annotation. A subclass that declares its own {@code @Fork} replaces it
 * and must list the flags again.
 */
@Fork(value = 1, jvmArgsAppend = {
    JvmFlags.OPENS_LANG, JvmFlags.OPENS_REFLECT, JvmFlags.OPENS_NIO, JvmFlags.OPENS_NIO_CH,
    JvmFlags.EXPORTS_JAVAC_FILE, JvmFlags.EXPORTS_INTERNAL_REF, JvmFlags.EXPORTS_INTERNAL_MISC,
    JvmFlags.EXPORTS_INTERNAL_UTIL, JvmFlags.NO_ANALYTICS, JvmFlags.NO_ANNOUNCER })
public abstract class ForkedBenchmark
{
}
