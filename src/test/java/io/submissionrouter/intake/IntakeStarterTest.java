package io.submissionrouter.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.submissionrouter.config.SubmissionConfig;
import io.submissionrouter.nativeimage.StartupSelfCheck;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/**
 * The IntakeStarter (the route policy of intake-starter, routes/periodic.yaml) starts the routes only once Camel has
 * started (a route started while Camel is still starting is only marked started, and an
 * intake "started" then would never take a job), and not at all once the application stops.
 */
class IntakeStarterTest {

    /** Settings whose every text is "x" (the starter only keeps the topic names). */
    private static <T> T settings(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            Class<?> r = method.getReturnType();
            return r == String.class ? "x" : r.isInterface() ? settings(r) : null;
        }));
    }

    private static CompletableFuture<Boolean> awaitingCamel(IntakeStarter starter) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return starter.awaitCamelStarted();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void anAttemptStartsTheRoutesOnlyOnceCamelHasStartedAndNotWhenTheApplicationStops() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        try {
            IntakeStarter starter = new IntakeStarter(camel, null, settings(SubmissionConfig.class), null, null, null,
                    null, null);
            assertThat(starter.pending()).isTrue();
            CompletableFuture<Boolean> waiting = awaitingCamel(starter);
            Thread.sleep(200);
            assertThat(waiting).as("Camel not started yet").isNotDone();
            camel.start();
            assertThat(waiting.get(5, TimeUnit.SECONDS)).as("Camel started").isTrue();

            IntakeStarter stopping = new IntakeStarter(new DefaultCamelContext(), null, settings(SubmissionConfig.class),
                    null, null, null, null, null);
            CompletableFuture<Boolean> cut = awaitingCamel(stopping);
            Thread.sleep(200);
            stopping.onShutdown(null);
            assertThat(cut.get(5, TimeUnit.SECONDS)).as("the application stops first").isFalse();
            assertThat(stopping.pending()).isFalse();
        } finally {
            camel.stop();
        }
    }

    /**
     * An attempt whose preparations hang (Kafka that never answers) holds the route's start, which Camel's shutdown
     * waits for: once the application stops, the start fails at once and the hanging work is left to itself.
     */
    @Test
    void aStartWhosePreparationsHangFailsAsSoonAsTheApplicationStops() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        CountDownLatch hanging = new CountDownLatch(1);
        StartupSelfCheck hangs = new StartupSelfCheck(null) {
            @Override
            public void verify() {
                hanging.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try {
            camel.start();
            IntakeStarter starter = new IntakeStarter(camel, null, settings(SubmissionConfig.class), null, null, null,
                    null, hangs);
            CompletableFuture<Void> start = CompletableFuture.runAsync(() -> starter.onStart(null));
            assertThat(hanging.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300);
            assertThat(start).as("the start waits for its preparations").isNotDone();
            long stopAt = System.nanoTime();
            starter.onShutdown(null);
            assertThatThrownBy(() -> start.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the intake has not started");
            assertThat(Duration.ofNanos(System.nanoTime() - stopAt)).isLessThan(Duration.ofSeconds(1));
            assertThat(starter.pending()).isFalse();
        } finally {
            camel.stop();
        }
    }

    /**
     * A start that fails part-way (the intake's consumer cannot be made) stops again the routes of the group jobs it
     * started: the failed attempt stops the idempotency tail, and a retries route left running would take jobs while
     * the completed jobIds are not followed (review of issue 24).
     */
    @Test
    void aStartThatFailsPartWayStopsTheRoutesOfTheGroupJobsItStarted() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        DefaultEndpoint failing = new DefaultEndpoint("failing://start", null) {
            @Override
            public Producer createProducer() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Consumer createConsumer(Processor processor) {
                return new DefaultConsumer(this, processor) {
                    @Override
                    protected void doStart() {
                        throw new IllegalStateException("the intake's consumer cannot be made");
                    }
                };
            }
        };
        camel.addEndpoint("failing://start", failing);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:control").routeId(IntakeStarter.CONTROL_ROUTE).autoStartup(false).log("control");
                from("direct:retries").routeId("retries-default").group(IntakeStarter.JOBS_GROUP).autoStartup(false)
                        .log("retry");
                from("failing://start").routeId(IntakeStarter.INTAKE_ROUTE).group(IntakeStarter.JOBS_GROUP)
                        .autoStartup(false).log("job");
            }
        });
        try {
            camel.start();
            IntakeStarter starter = new IntakeStarter(camel, null, settings(SubmissionConfig.class), null, null, null,
                    null, null) {
                @Override
                void createRetryRoutes() {
                    // the retries route above stands for those made from the template
                }
            };
            assertThatThrownBy(() -> starter.startRoutes(null)).hasMessageContaining("cannot be made");
            assertThat(camel.getRouteController().getRouteStatus("retries-default").isStarted())
                    .as("the retries route started before the intake failed").isFalse();
            assertThat(camel.getRouteController().getRouteStatus(IntakeStarter.INTAKE_ROUTE).isStarted()).isFalse();
        } finally {
            camel.stop();
        }
    }
}
