package io.submissionrouter.nativeimage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.intake.StartupCheck;
import io.submissionrouter.job.JobReader;
import io.submissionrouter.job.MimeMessageFactory;
import io.submissionrouter.job.SampleJob;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Named;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.pool2.BasePooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.jboss.logging.Logger;

/**
 * Tries at start-up, once, what a native image leaves out unless it is told: every record of
 * {@link NativeReflection} bound by Jackson both ways, every class it names loaded by name, the router's
 * {@link SampleJob} read (the job schema from the class path, Jackson), validated and built (Angus Mail's stream
 * provider, the MIME content handlers of text, html, an inline image and an attachment), and a commons-pool2 pool
 * made (its eviction policy is loaded by name). It runs before the intake starts ({@code IntakeStarter}) and again
 * when Quarkus has started. A miss stops the
 * start with one line naming each missing piece: a crash Kubernetes shows is better than jobs reported
 * {@code INVALID} for the router's own fault, or completions skipped as unreadable and their messages sent again.
 * On the JVM every check passes (NativeImageGuardTest runs them).
 */
@ApplicationScoped
@Named("startupSelfCheck")
public class StartupSelfCheck implements StartupCheck {

    private static final Logger LOG = Logger.getLogger(StartupSelfCheck.class);

    private final ObjectMapper mapper;
    private volatile boolean passed;

    public StartupSelfCheck(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void onStart(@Observes StartupEvent start) {
        verify();
    }

    /**
     * Throws, naming what is missing, unless everything is there; once it passed it is not tried again. Called by
     * the IntakeStarter at each attempt to start the intake (the route intake-starter, routes/periodic.yaml), and
     * when Quarkus has started (a failure then stops the process).
     */
    @Override
    public void verify() {
        if (passed) {
            return;
        }
        List<String> missing = missing(mapper);
        if (!missing.isEmpty()) {
            String line = "the router cannot start: what it loads at run time is missing (a native image built "
                    + "without these registrations, README \"Native\"): " + String.join("; ", missing);
            LOG.error(line);
            throw new IllegalStateException(line);
        }
        passed = true;
        LOG.debug("start-up self-check: every registered record binds, every registered class loads, the sample job "
                + "is read and built and a commons-pool2 pool can be made");
    }

    /** What is missing, each as one phrase; empty when everything loads. */
    static List<String> missing(ObjectMapper mapper) {
        List<String> missing = new ArrayList<>();
        RegisterForReflection registered = NativeReflection.class.getAnnotation(RegisterForReflection.class);
        if (registered == null) {
            return List.of("the registrations of " + NativeReflection.class.getName());
        }
        for (Class<?> type : registered.targets()) {
            if (type.isRecord()) {
                bindable(mapper, type, missing);
            }
        }
        for (String name : registered.classNames()) {
            try {
                Class.forName(name, false, StartupSelfCheck.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                missing.add("class " + name + " by name");
            }
        }
        try {
            SampleJob.build(new JobReader(mapper), new MimeMessageFactory());
        } catch (Exception e) {
            missing.add("reading and building the router's sample job (" + e + ")");
        }
        GenericObjectPoolConfig<Object> config = new GenericObjectPoolConfig<>();
        config.setJmxEnabled(false); // as SmtpConnectionPool's
        try (GenericObjectPool<Object> pool = new GenericObjectPool<>(new NothingPooled(), config)) {
            pool.getNumIdle();
        } catch (RuntimeException e) {
            missing.add("a commons-pool2 pool (" + e.getMessage() + ")");
        }
        return missing;
    }

    /** Jackson can make {@code type} from JSON and write it as JSON (not as an unknown, empty bean). */
    private static void bindable(ObjectMapper mapper, Class<?> type, List<String> missing) {
        try {
            mapper.readValue("{}", type);
        } catch (InvalidDefinitionException e) {
            missing.add("Jackson reading " + type.getName() + " (" + e.getOriginalMessage() + ")");
        } catch (IOException | RuntimeException e) {
            // the type was made (or its constructor refused the empty object): it binds
        }
        try {
            if (mapper.getSerializerProviderInstance().findValueSerializer(type) instanceof UnknownSerializer) {
                missing.add("Jackson writing " + type.getName() + " (no properties found)");
            }
        } catch (IOException | RuntimeException e) {
            missing.add("Jackson writing " + type.getName() + " (" + e.getMessage() + ")");
        }
    }

    private static final class NothingPooled extends BasePooledObjectFactory<Object> {
        @Override
        public Object create() {
            return new Object();
        }

        @Override
        public PooledObject<Object> wrap(Object o) {
            return new DefaultPooledObject<>(o);
        }
    }
}
