package org.trackerd.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads one JSON object of the config, remembering which keys were consumed so that anything left over
 * (a typo, a key from another version) stops start-up with the key's full dotted name.
 */
final class ConfigReader
{
    private final String prefix;
    private final ObjectNode node;
    private final Set<String> consumed = new HashSet<>();

    ConfigReader(final String prefix, final JsonNode node)
    {
        this.prefix = prefix;
        if (node != null && !node.isObject())
        {
            throw new ConfigException("config key '" + (prefix.isEmpty() ? "<root>" : prefix) + "' must be an object");
        }
        this.node = node == null ? null : (ObjectNode)node;
    }

    String key(final String name)
    {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    ConfigReader section(final String name)
    {
        return new ConfigReader(key(name), take(name));
    }

    private JsonNode take(final String name)
    {
        consumed.add(name);
        if (node == null)
        {
            return null;
        }
        final JsonNode value = node.get(name);
        return value == null || value.isNull() ? null : value;
    }

    long longValue(final String name, final long defaultValue, final long min, final long max)
    {
        final JsonNode value = take(name);
        if (value == null)
        {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong())
        {
            throw new ConfigException("config key '" + key(name) + "': expected an integer, got " + value);
        }
        final long v = value.asLong();
        if (v < min || v > max)
        {
            throw new ConfigException("config key '" + key(name) + "': " + v + " is outside " + min + ".." + max);
        }
        return v;
    }

    int intValue(final String name, final int defaultValue, final int min, final int max)
    {
        return (int)longValue(name, defaultValue, min, max);
    }

    boolean boolValue(final String name, final boolean defaultValue)
    {
        final JsonNode value = take(name);
        if (value == null)
        {
            return defaultValue;
        }
        if (!value.isBoolean())
        {
            throw new ConfigException("config key '" + key(name) + "': expected true or false, got " + value);
        }
        return value.asBoolean();
    }

    String stringValue(final String name, final String defaultValue)
    {
        final JsonNode value = take(name);
        if (value == null)
        {
            return defaultValue;
        }
        if (!value.isTextual())
        {
            throw new ConfigException("config key '" + key(name) + "': expected a string, got " + value);
        }
        return value.asText();
    }

    String choice(final String name, final String defaultValue, final String... allowed)
    {
        final String v = stringValue(name, defaultValue);
        for (final String a : allowed)
        {
            if (a.equals(v))
            {
                return v;
            }
        }
        throw new ConfigException("config key '" + key(name) + "': '" + v + "' is not one of " + String.join(", ", allowed));
    }

    List<String> stringList(final String name, final List<String> defaultValue)
    {
        final JsonNode value = take(name);
        if (value == null)
        {
            return defaultValue;
        }
        if (!value.isArray())
        {
            throw new ConfigException("config key '" + key(name) + "': expected an array of strings, got " + value);
        }
        final List<String> result = new ArrayList<>();
        for (final JsonNode element : value)
        {
            if (!element.isTextual())
            {
                throw new ConfigException("config key '" + key(name) + "': expected strings, got " + element);
            }
            result.add(element.asText());
        }
        return result;
    }

    /** Fails on the first key of this object that no reader asked for. */
    void rejectUnknownKeys()
    {
        if (node == null)
        {
            return;
        }
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext())
        {
            final String name = names.next();
            if (!consumed.contains(name))
            {
                throw new ConfigException("unknown config key '" + key(name) + "'");
            }
        }
    }
}
