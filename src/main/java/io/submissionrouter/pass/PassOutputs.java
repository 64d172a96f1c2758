package io.submissionrouter.pass;

import io.submissionrouter.results.AttemptEvent;
import io.submissionrouter.results.DeliveryResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The records one pass of a job owes Kafka, decided once when the pass ends, and which of them Kafka has
 * acknowledged. When a write fails, the pass is not run again: the record it came from is read again and only
 * what is still owed is written (CONTRACT 8.1: once a server accepted a message, no later failure sends it again).
 * The completion always goes first.
 */
public final class PassOutputs {

    private Completion completion;
    private final List<Attempt> attempts = new ArrayList<>();
    private int attemptsWritten;
    private boolean deadLetter;
    private String deadLetterWithoutValue;
    private DeliveryResult result;
    private String resultTraceparent;
    private String deferTo;

    /** An attempt event and the traceparent its record carries (its session's span). */
    public record Attempt(AttemptEvent event, String traceparent) {
    }

    /** The completion record to write first (null: none, or already acknowledged). */
    public Completion completion() {
        return completion;
    }

    public void completion(Completion c) {
        this.completion = c;
    }

    /** The attempt events not yet acknowledged, in order. */
    public List<Attempt> attempts() {
        return List.copyOf(attempts.subList(attemptsWritten, attempts.size()));
    }

    public void attempt(AttemptEvent event, String traceparent) {
        attempts.add(new Attempt(event, traceparent));
    }

    public boolean deadLetter() {
        return deadLetter;
    }

    public void deadLetter(boolean owed) {
        this.deadLetter = owed;
    }

    /**
     * Why the dead letter goes without the original record's value (Kafka refused it as too large for the dead-letter
     * topic, README "Record sizes"), or null: it carries the original bytes (CONTRACT 4).
     */
    public String deadLetterWithoutValue() {
        return deadLetterWithoutValue;
    }

    public void deadLetterWithoutValue(String why) {
        this.deadLetterWithoutValue = why;
    }

    /** The result to write (null: none, or already acknowledged). */
    public DeliveryResult result() {
        return result;
    }

    public void result(DeliveryResult r, String traceparent) {
        this.result = r;
        this.resultTraceparent = traceparent;
    }

    /** The traceparent the result carries (the job span's, or the job record's). */
    public String resultTraceparent() {
        return resultTraceparent;
    }

    /** The retry tier or waiting topic the job's record goes to (null: none, or already acknowledged). */
    public String deferTo() {
        return deferTo;
    }

    public void deferTo(String topic) {
        this.deferTo = topic;
    }

    /** Kafka acknowledged the completion record. */
    public void completionWritten() {
        completion = null;
    }

    /** Kafka acknowledged the next attempt event. */
    public void attemptWritten() {
        attemptsWritten++;
    }

    public void deadLetterWritten() {
        deadLetter = false;
    }

    public void resultWritten() {
        result = null;
    }

    public void deferredWritten() {
        deferTo = null;
    }
}
