package org.trackerd.io.e2e;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM flags are written once, in {@code tuning/jvm-required.options}; the build's test JVMs read that file,
 * and the two forms that cannot read a file follow it: the runnable jars' manifest attributes (parent pom
 * properties) and the JMH {@code @Fork} constants ({@code org.trackerd.jmh.JvmFlags}).
 */
class RequiredJvmFlagsTest
{
    private static final Path ROOT = TrackerProcess.REQUIRED_FLAGS_FILE.toAbsolutePath().getParent().getParent();

    @Test
    void thisTestJvmWasStartedWithTheFile()
    {
        final List<String> flags = TrackerProcess.JVM_FLAGS;
        assertFalse(flags.isEmpty());
        final List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (final String flag : flags)
        {
            assertTrue(input.contains(flag), () -> flag + " missing from " + input);
        }
    }

    @Test
    void manifestAttributesFollowTheFile() throws IOException
    {
        final String pom = Files.readString(ROOT.resolve("pom.xml"));
        assertEquals(packages("--add-opens="), property(pom, "trackerd.manifest.add-opens"));
        assertEquals(packages("--add-exports="), property(pom, "trackerd.manifest.add-exports"));
    }

    @Test
    void jmhForkFlagsFollowTheFile() throws IOException
    {
        final String source = Files.readString(ROOT.resolve("jmh/src/main/java/org/trackerd/jmh/JvmFlags.java"));
        final List<String> constants = new ArrayList<>();
        final Matcher m = Pattern.compile("public static final String \\w+ = \"([^\"]+)\";").matcher(source);
        while (m.find())
        {
            constants.add(m.group(1));
        }
        assertEquals(TrackerProcess.JVM_FLAGS, constants);
    }

    /** The flags with {@code prefix} as manifest values: "module/package" separated by spaces. */
    private static String packages(final String prefix)
    {
        return TrackerProcess.JVM_FLAGS.stream().filter(f -> f.startsWith(prefix))
            .map(f -> f.substring(prefix.length(), f.lastIndexOf('=')))
            .collect(Collectors.joining(" "));
    }

    private static String property(final String pom, final String name)
    {
        final Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]*)</").matcher(pom);
        assertTrue(m.find(), name + " in pom.xml");
        return m.group(1).trim();
    }
}
