package org.trackerd.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine holds the model, the ports its adapters implement and the single-writer logic: no database driver,
 * no JDBC, no HTTP client and no file watching (those adapters live in io), and {@code engine.swarm} never
 * depends on {@code engine.site} (private mode implements the swarm's {@code SwarmAccounting}, not the reverse).
 */
class ModuleBoundaryTest
{
    private static final Path SOURCES = Path.of("src/main/java/org/trackerd/engine");
    private static final List<String> OUTSIDE = List.of("import java.sql.", "import javax.sql.", "import com.zaxxer.",
        "import org.mariadb.", "import com.auth0.jwk.", "import java.net.http.", "java.nio.file.WatchService",
        "java.sql.", "com.zaxxer.", "UrlJwkProvider");

    private static List<Path> sources(final Path under) throws IOException
    {
        assertTrue(Files.isDirectory(under), under + " (run from the engine module's directory)");
        try (Stream<Path> files = Files.walk(under))
        {
            return files.filter(f -> f.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void theEngineHasNoDatabaseDriverHttpClientOrFileWatcher() throws IOException
    {
        final List<Path> files = sources(SOURCES);
        assertTrue(files.size() > 50, "found the engine's sources: " + files.size());
        final List<String> found = new ArrayList<>();
        for (final Path file : files)
        {
            final String text = Files.readString(file);
            for (final String outside : OUTSIDE)
            {
                if (text.contains(outside))
                {
                    found.add(file + ": " + outside);
                }
            }
        }
        assertEquals(List.of(), found);
        final String pom = Files.readString(Path.of("pom.xml"));
        for (final String artifact : List.of("mariadb-java-client", "HikariCP", "jwks-rsa"))
        {
            assertFalse(pom.contains(artifact), "engine/pom.xml depends on " + artifact);
        }
    }

    @Test
    void theSwarmDoesNotDependOnPrivateMode() throws IOException
    {
        final List<String> found = new ArrayList<>();
        for (final Path file : sources(SOURCES.resolve("swarm")))
        {
            if (Files.readString(file).contains("org.trackerd.engine.site"))
            {
                found.add(file.toString());
            }
        }
        assertEquals(List.of(), found);
    }
}
