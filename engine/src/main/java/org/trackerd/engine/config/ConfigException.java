package org.trackerd.engine.config;

/**
 * A configuration value that cannot be used. The message always names the offending key, so an operator
 * can fix the file without reading code.
 */
public final class ConfigException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public ConfigException(final String message)
    {
        super(message);
    }
}
