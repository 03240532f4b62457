package org.trackerd.io.webtorrent;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The npm client scenario of src/test/node/ws-client.mjs run as a child process: one JSON line per thing it saw, the
 * last one {@code {"done": true}} when every step of the scenario happened.
 */
final class NodeScenario
{
    /** The node fixture folder (its node_modules come from {@code npm ci}). */
    static final Path FIXTURE = Path.of("src/test/node");
    static final long TIMEOUT_S = 60;

    private NodeScenario()
    {
    }

    /** A ws-client.mjs run against {@code url} (its own timeout 30 s), plus {@code more} arguments. */
    static ProcessBuilder client(final String url, final String... more)
    {
        final List<String> command = new ArrayList<>(List.of("node", "ws-client.mjs", "--url", url, "--timeout-ms",
            "30000"));
        command.addAll(List.of(more));
        return new ProcessBuilder(command).directory(FIXTURE.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    /** Runs {@code builder}, asserts the scenario completed and the client exited 0; returns every line it printed. */
    static List<JsonNode> run(final ProcessBuilder builder) throws Exception
    {
        final Process client = builder.start();
        final List<JsonNode> seen = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8)))
        {
            for (String line; (line = out.readLine()) != null; )
            {
                seen.add(WebTorrentCodecTest.MAPPER.readTree(line));
            }
        }
        finally
        {
            if (!client.waitFor(TIMEOUT_S, TimeUnit.SECONDS))
            {
                client.destroyForcibly();
                fail("client did not exit");
            }
        }
        final JsonNode done = seen.stream().filter(n -> n.has("done")).findFirst().orElseThrow();
        assertTrue(done.get("done").asBoolean(), "client scenario incomplete: " + done + "\n" + seen);
        assertEquals(0, client.exitValue());
        return seen;
    }
}
