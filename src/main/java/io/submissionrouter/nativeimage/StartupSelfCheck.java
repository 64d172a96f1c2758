package io.submissionrouter.nativeimage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.submissionrouter.job.JobSchema;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
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
 * {@link NativeReflection} bound by Jackson both ways, every class it names loaded by name, the job schema read
 * from the class path and a commons-pool2 pool made (its eviction policy is loaded by name). A miss stops the
 * start with one line naming each missing piece: a crash Kubernetes shows is better than jobs reported
 * {@code INVALID} for the router's own fault, or completions skipped as unreadable and their messages sent again.
 * On the JVM every check passes (NativeImageGuardTest runs them).
 */
@ApplicationScoped
public class StartupSelfCheck {

    private static final Logger LOG = Logger.getLogger(StartupSelfCheck.class);

    private final ObjectMapper mapper;

    public StartupSelfCheck(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void onStart(@Observes StartupEvent start) {
        List<String> missing = missing(mapper);
        if (!missing.isEmpty()) {
            String line = "the router cannot start: what it loads at run time is missing (a native image built "
                    + "without these registrations, README \"Native\"): " + String.join("; ", missing);
            LOG.error(line);
            throw new IllegalStateException(line);
        }
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
            new JobSchema();
        } catch (RuntimeException e) {
            missing.add("the job schema (" + e.getMessage() + ")");
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
