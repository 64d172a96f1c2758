package io.submissionrouter.output;

/**
 * A topic the router writes takes smaller records ({@code max.message.bytes}) than a job within the router's limits
 * can lead to (CONTRACT 9.3): the router does not start its intake. The message is one line naming the topic, the
 * setting and the value it needs.
 */
public final class TopicTooSmallException extends IllegalStateException {

    /**
     * @param topic   the topic
     * @param setting the router's setting that names it
     * @param takes   its {@code max.message.bytes}
     * @param needs   what the router needs it to take
     * @param why     which record needs that much
     */
    public TopicTooSmallException(String topic, String setting, long takes, long needs, String why) {
        super("Topic " + topic + " (" + setting + ") takes records of up to " + takes + " bytes (max.message.bytes); "
                + "it must take " + needs + ": " + why + ". Raise its max.message.bytes to at least " + needs
                + " (kafka-configs.sh --alter --entity-type topics --entity-name " + topic + " --add-config "
                + "max.message.bytes=" + needs + ")");
        setStackTrace(new StackTraceElement[0]);
    }
}
