package io.submissionrouter.pass;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.submissionrouter.job.JobProperties;
import io.submissionrouter.results.AttemptEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.support.SynchronizationAdapter;
import org.jboss.logging.Logger;

/**
 * OpenTelemetry spans of a job (README, "Tracing"). Each pass of a job through the router is a span
 * {@code email.job}, a child of the job record's W3C {@code traceparent} (a new trace when it has none), and each
 * SMTP session is a span {@code smtp <endpoint>} inside it. The job's records carry the context of the span they
 * come from: the result the job span's, an attempt event its session's. With the SDK off (the default until a
 * collector is configured) there are no spans, and the records carry the job record's traceparent unchanged.
 */
@ApplicationScoped
@Named("jobTraces")
public class JobTraces {

    private static final Logger LOG = Logger.getLogger(JobTraces.class);
    private static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("email.job.id");
    private static final AttributeKey<String> RELAY = AttributeKey.stringKey("email.relay");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("email.status");
    private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;

    public JobTraces(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("smtp-submission-router");
    }

    /**
     * Starts the span of this pass of the job; it ends when the exchange does, however it ends. Tracing never
     * fails a job: without a span the job's records carry its record's traceparent.
     */
    public Span start(@ExchangeProperty(JobProperties.PASS) Pass d, Exchange exchange) {
        try {
            SourceRecord source = d.source();
            Span span = tracer.spanBuilder("email.job").setParent(incoming(source)).setSpanKind(SpanKind.CONSUMER)
                    .setAttribute("messaging.system", "kafka")
                    .setAttribute("messaging.destination.name", source.topic())
                    .setAttribute("messaging.kafka.offset", source.offset())
                    .setAttribute(JOB_ID, String.valueOf(d.jobId()))
                    .setAttribute(RELAY, String.valueOf(d.relay()))
                    .startSpan();
            exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                @Override
                public void onDone(Exchange done) {
                    span.setAttribute(STATUS, d.status() == null ? "DEFERRED" : d.status().name());
                    if (done.isFailed()) {
                        span.setStatus(StatusCode.ERROR, String.valueOf(done.getException()));
                    }
                    span.end();
                }
            });
            return span;
        } catch (RuntimeException e) {
            LOG.debugf(e, "no span for exchange %s", exchange.getExchangeId());
            return null;
        }
    }

    /** The job's trace id (its span's, or the job record's traceparent's when there is no span), or null. */
    public String traceId(Span span, SourceRecord source) {
        if (span != null && span.getSpanContext().isValid()) {
            return span.getSpanContext().getTraceId();
        }
        SpanContext record = Span.fromContext(incoming(source)).getSpanContext();
        return record.isValid() ? record.getTraceId() : null;
    }

    /** The traceparent of the job's result: its span's, or the job record's when there is no span. */
    public String traceparent(Span span, SourceRecord source) {
        return span != null && span.getSpanContext().isValid() ? format(span.getSpanContext())
                : source.traceparent();
    }

    /**
     * Records the SMTP session of {@code event} as a span inside the job's; returns the traceparent its event
     * carries. Tracing never fails a job: a span that cannot be made leaves the job's traceparent.
     */
    public String attempt(Span job, SourceRecord source, AttemptEvent event) {
        if (job == null || !job.getSpanContext().isValid()) {
            return traceparent(job, source);
        }
        try {
            return format(sessionSpan(job, event).getSpanContext());
        } catch (RuntimeException e) {
            LOG.debugf(e, "no span for attempt %d of %s", event.attempt(), event.jobId());
            return traceparent(job, source);
        }
    }

    private Span sessionSpan(Span job, AttemptEvent event) {
        Instant end = event.at();
        SpanBuilder builder = tracer.spanBuilder("smtp " + event.endpoint().name()).setParent(Context.root().with(job))
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(end.minusMillis(event.durationMs()).toEpochMilli(), TimeUnit.MILLISECONDS)
                .setAttribute("server.address", event.endpoint().host())
                .setAttribute("server.port", event.endpoint().port())
                .setAttribute("email.attempt", event.attempt())
                .setAttribute("email.smtp.outcome", event.outcome().wireName());
        if (event.step() != null) { // a session skipped because the breaker was open never reached a step
            builder.setAttribute("email.smtp.step", event.step().wireName());
        }
        if (event.smtpCode() != null) {
            builder.setAttribute("email.smtp.code", event.smtpCode());
        }
        Span session = builder.startSpan();
        if (event.outcome().endpointFailed()) {
            session.setStatus(StatusCode.ERROR, event.outcome().wireName());
        }
        session.end(end.toEpochMilli(), TimeUnit.MILLISECONDS);
        return session;
    }

    /** The context of the job record's traceparent (the root context when it has none or it is malformed). */
    private static Context incoming(SourceRecord source) {
        return source.traceparent() == null ? Context.root()
                : W3CTraceContextPropagator.getInstance().extract(Context.root(), source.traceparent(), TRACEPARENT);
    }

    private static String format(SpanContext c) {
        return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
    }
}
