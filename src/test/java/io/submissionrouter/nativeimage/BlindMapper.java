package io.submissionrouter.nativeimage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;

/**
 * An ObjectMapper that sees one type as a native image without that type's reflection registration does: no
 * constructor to create it with, no accessor to write it from.
 */
public final class BlindMapper {

    private BlindMapper() {
    }

    public static ObjectMapper blindTo(Class<?> type) {
        ObjectMapper mapper = new ObjectMapper().findAndRegisterModules();
        mapper.setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
            private static final long serialVersionUID = 1L;

            @Override
            public JsonCreator.Mode findCreatorAnnotation(MapperConfig<?> config, Annotated a) {
                return a instanceof AnnotatedMember m && m.getDeclaringClass() == type ? JsonCreator.Mode.DISABLED
                        : super.findCreatorAnnotation(config, a);
            }

            @Override
            public boolean hasIgnoreMarker(AnnotatedMember m) {
                return m.getDeclaringClass() == type || super.hasIgnoreMarker(m);
            }
        });
        return mapper;
    }
}
