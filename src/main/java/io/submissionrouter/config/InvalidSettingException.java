package io.submissionrouter.config;

import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * A missing or contradictory setting; its message is one line naming the setting and why. A Quarkus
 * {@link ConfigurationException}, which Quarkus reports at startup as that line, without a stack trace.
 */
public final class InvalidSettingException extends ConfigurationException {

    /** The message names the environment variable MicroProfile Config maps {@code setting} to, too. */
    public InvalidSettingException(String setting, String why) {
        super("Invalid setting " + setting + " (env " + setting.toUpperCase(java.util.Locale.ROOT)
                .replaceAll("[^A-Z0-9]", "_") + "): " + why);
        setStackTrace(new StackTraceElement[0]);
    }
}
