package io.submissionrouter.config;

/** A missing or contradictory setting; its message is one line naming the setting and why. */
public final class InvalidSettingException extends RuntimeException {

    public InvalidSettingException(String setting, String why) {
        super("Invalid setting " + setting + " (env " + envName(setting) + "): " + why, null, false, false);
    }

    /** The environment variable MicroProfile Config maps to a property name. */
    public static String envName(String property) {
        return property.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }
}
