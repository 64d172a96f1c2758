package io.submissionrouter.ops;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Work a periodic route (routes/periodic.yaml) hands to a pool of Camel's and waits for, unless the application
 * stops: the route's thread is then free at once (Camel's shutdown waits for routes' exchanges), and the work, which
 * may hang on a server for minutes, is left to end by itself, neither cancelled nor interrupted.
 */
public final class WorkOnCamelPool {

    private WorkOnCamelPool() {
    }

    /**
     * Waits for {@code work} until it ends or {@code stopping} says the application stops (checked every 200 ms).
     *
     * @return the failure the work ended with, or null (done, still running at shutdown, or the wait interrupted)
     */
    public static Throwable await(Future<?> work, BooleanSupplier stopping) {
        while (!stopping.getAsBoolean()) {
            try {
                work.get(200, TimeUnit.MILLISECONDS);
                return null;
            } catch (TimeoutException stillWorking) {
                // waits on, unless the application stops
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // Camel stops the route: the work is left to itself
                return null;
            }
        }
        return null;
    }
}
