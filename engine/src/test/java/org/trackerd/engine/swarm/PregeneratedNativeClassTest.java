package org.trackerd.engine.swarm;

import net.openhft.chronicle.values.ValueModel;
import net.openhft.chronicle.values.Values;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Opening a Chronicle Map needs a native implementation of the map header's value interface; chronicle-values
 * generates its source and compiles it with javac at run time (measured: about half of a 4-5 s store open) unless
 * the class is already on the class path. The engine ships it pre-generated: these tests prove the shipped class
 * is the one used, and that it is exactly what the library in use generates, so a library update that changes the
 * generated code fails here with the new source to check in.
 */
class PregeneratedNativeClassTest
{
    private static final String INTERFACE = "net.openhft.chronicle.hash.VanillaGlobalMutableState";
    private static final Path SOURCE =
        Path.of("src/main/java/net/openhft/chronicle/hash/VanillaGlobalMutableState$$Native.java");

    @Test
    void theShippedClassIsUsedInsteadOfCompilingOne() throws Exception
    {
        final Class<?> shipped = Class.forName(INTERFACE + "$$Native");
        assertSame(shipped, Values.nativeClassFor(Class.forName(INTERFACE)));
    }

    @Test
    void theShippedSourceIsWhatTheLibraryGenerates() throws Exception
    {
        final ValueModel model = ValueModel.acquire(Class.forName(INTERFACE));
        final Method generate = Class.forName("net.openhft.chronicle.values.Generators")
            .getDeclaredMethod("generateNativeClass", ValueModel.class, String.class);
        generate.setAccessible(true);
        final String generated = ((String)generate.invoke(null, model, "VanillaGlobalMutableState$$Native")).strip();
        final String shipped = Files.readString(SOURCE, StandardCharsets.UTF_8).lines()
            .dropWhile(line -> line.startsWith("//")).reduce((a, b) -> a + "\n" + b).orElse("").strip();
        assertEquals(generated, shipped, "regenerate " + SOURCE + " (keep its comment header) from the text above");
    }
}
