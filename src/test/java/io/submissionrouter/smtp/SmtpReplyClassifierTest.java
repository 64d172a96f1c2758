package io.submissionrouter.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SmtpReplyClassifierTest {

    private static SmtpReply reply(String line) {
        return SmtpReply.parse(line);
    }

    /** A session that failed at {@code step} after the server answered {@code reply} (or nothing) to it. */
    private static OutcomeClass classifyFailure(SmtpStep step, SmtpReply reply) {
        return SmtpReplyClassifier.classify(step, reply, step == SmtpStep.DOT);
    }

    @Test
    void parsesCodeEnhancedCodeAndText() {
        SmtpReply r = reply("550 5.1.1 <bob@example.org>: Recipient address rejected");
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhancedCode()).isEqualTo("5.1.1");
        assertThat(r.text()).isEqualTo("<bob@example.org>: Recipient address rejected");
        assertThat(reply("250 2.0.0 Ok: queued as 4FZK2x1Qz").text()).isEqualTo("Ok: queued as 4FZK2x1Qz");
        assertThat(reply("250 Ok").enhancedCode()).isNull();
        assertThat(reply("[EOF]")).isNull();
        assertThat(reply(null)).isNull();
    }

    @Test
    void everyFailureBeforeTheMessageIsTheEndpointsFault() {
        for (SmtpStep step : new SmtpStep[] {SmtpStep.CONNECT, SmtpStep.GREETING, SmtpStep.EHLO, SmtpStep.STARTTLS}) {
            assertThat(classifyFailure(step, null)).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(classifyFailure(step, reply("421 4.3.2 Service not available"))).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
            assertThat(classifyFailure(step, reply("554 5.7.0 go away"))).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        }
    }

    @Test
    void authRefusedIsAConfigErrorButATemporaryAuthFailureIsNot() {
        assertThat(classifyFailure(SmtpStep.AUTH, reply("535 5.7.8 Authentication credentials invalid")))
                .isEqualTo(OutcomeClass.CONFIG_ERROR);
        assertThat(classifyFailure(SmtpStep.AUTH, reply("454 4.7.0 Temporary authentication failure")))
                .isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(classifyFailure(SmtpStep.AUTH, null)).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
    }

    @Test
    void answersToTheMessageNeverBlameTheEndpoint() {
        for (SmtpStep step : new SmtpStep[] {SmtpStep.MAIL, SmtpStep.RCPT, SmtpStep.DATA, SmtpStep.DOT}) {
            assertThat(classifyFailure(step, reply("550 5.1.1 unknown"))).isEqualTo(OutcomeClass.REJECTED);
            assertThat(classifyFailure(step, reply("451 4.3.0 try later"))).isEqualTo(OutcomeClass.TRANSIENT);
            assertThat(classifyFailure(step, reply("452 4.5.3 too many recipients"))).isEqualTo(OutcomeClass.TRANSIENT);
            assertThat(classifyFailure(step, reply("421 4.4.2 closing"))).isEqualTo(OutcomeClass.THROTTLED);
            assertThat(classifyFailure(step, reply("454 4.7.0 Throttling failure: rate exceeded")))
                    .isEqualTo(OutcomeClass.THROTTLED);
            assertThat(classifyFailure(step, reply("451 4.7.1 slow down"))).isEqualTo(OutcomeClass.THROTTLED);
            // Amazon SES, without an enhanced code
            assertThat(classifyFailure(step, reply("454 Throttling failure: Maximum sending rate exceeded.")))
                    .isEqualTo(OutcomeClass.THROTTLED);
            assertThat(classifyFailure(step, reply("454 Temporary service failure"))).isEqualTo(OutcomeClass.TRANSIENT);
        }
    }

    @Test
    void silenceAfterTheDotIsUncertainButBeforeItTheEndpointFailed() {
        assertThat(classifyFailure(SmtpStep.DOT, null)).isEqualTo(OutcomeClass.UNCERTAIN);
        assertThat(classifyFailure(SmtpStep.DATA, null)).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(classifyFailure(SmtpStep.RCPT, null)).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
    }

    @Test
    void onlyA2xxReplyToTheDotIsSent() {
        assertThat(SmtpReplyClassifier.classify(SmtpStep.DOT, reply("250 2.0.0 Ok: queued as 4FZK2x1Qz"), true))
                .isEqualTo(OutcomeClass.SENT);
        // a 3xx to the dot is neither an acceptance nor a refusal
        assertThat(SmtpReplyClassifier.classify(SmtpStep.DOT, reply("354 go ahead"), true))
                .isEqualTo(OutcomeClass.UNCERTAIN);
    }

    @Test
    void aPositiveReplyToAnEarlierCommandNeverStandsForTheMessagesAcceptance() {
        // the session failed after MAIL's 250, RCPT's 250 or DATA's 354: the endpoint failed before the dot (CONTRACT 8.1)
        assertThat(SmtpReplyClassifier.classify(SmtpStep.MAIL, reply("250 2.1.0 Ok"), false))
                .isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(SmtpReplyClassifier.classify(SmtpStep.RCPT, reply("250 2.1.5 Ok"), false))
                .isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(SmtpReplyClassifier.classify(SmtpStep.DATA, reply("354 End data with <CR><LF>.<CR><LF>"), false))
                .isEqualTo(OutcomeClass.ENDPOINT_DOWN);
    }

    @Test
    void aDotThatWasNeverWrittenIsTheEndpointsFaultNotUncertain() {
        assertThat(SmtpReplyClassifier.classify(SmtpStep.DOT, null, false)).isEqualTo(OutcomeClass.ENDPOINT_DOWN);
        assertThat(SmtpReplyClassifier.classify(SmtpStep.DOT, null, true)).isEqualTo(OutcomeClass.UNCERTAIN);
    }
}
