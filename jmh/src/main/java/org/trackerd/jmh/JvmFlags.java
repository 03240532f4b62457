package org.trackerd.jmh;

import java.util.List;

/**
 * The JVM flags every forked benchmark JVM needs on Java 17: module opens and exports for Chronicle Map and
 * Agrona, and Chronicle's analytics and banner switched off. They are written once, in
 * {@code tuning/jvm-required.options}; an annotation cannot read a file, so these constants repeat it, in its order,
 * and {@code RequiredJvmFlagsTest} (module io) fails when they differ. {@link ForkedBenchmark} hands them to every
 * fork through {@code @Fork(jvmArgsAppend = ...)}.
 *
 * <p>An annotation value cannot refer to a {@code static final String[]}, only to constant strings, so each
 * flag is its own constant; {@link #ARGS} is the same list for code (the JMH {@code Runner} API, scripts).
 */
public final class JvmFlags
{
    public static final String OPENS_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    public static final String OPENS_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
    public static final String OPENS_NIO = "--add-opens=java.base/java.nio=ALL-UNNAMED";
    public static final String OPENS_NIO_CH = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
    public static final String EXPORTS_JAVAC_FILE = "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";
    public static final String EXPORTS_INTERNAL_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
    public static final String EXPORTS_INTERNAL_MISC = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";
    public static final String EXPORTS_INTERNAL_UTIL = "--add-exports=java.base/jdk.internal.util=ALL-UNNAMED";
    public static final String NO_ANALYTICS = "-Dchronicle.analytics.disable=true";
    public static final String NO_ANNOUNCER = "-Dchronicle.announcer.disable=true";

    /** Every flag, in order. */
    public static final List<String> ARGS = List.of(
        OPENS_LANG, OPENS_REFLECT, OPENS_NIO, OPENS_NIO_CH, EXPORTS_JAVAC_FILE, EXPORTS_INTERNAL_REF,
        EXPORTS_INTERNAL_MISC, EXPORTS_INTERNAL_UTIL, NO_ANALYTICS, NO_ANNOUNCER);

    private JvmFlags()
    {
    }
}
