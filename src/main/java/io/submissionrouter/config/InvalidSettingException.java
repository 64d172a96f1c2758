package io.submissionrouter.config;

import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * A missing or contradictory setting; its message is one line naming the setting and why. A Quarkus
 * {@link ConfigurationException}, which Quarkus reports at startup as that line, without a stack trace.
 */
public final class InvalidSettingException extends ConfigurationException {

    public InvalidSettingException(String setting, String why) {
        super("Invalid setting " + setting + " (env " + envName(setting) + "): " + why);
        setStackTrace(new StackTraceElement[0]);
    }

    /** The environment variable MicroProfile Config maps to a property name. */
    public static String envName(String property) {
        return property.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }
}
