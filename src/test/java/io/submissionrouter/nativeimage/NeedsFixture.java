package io.submissionrouter.nativeimage;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/** Call sites of each kind {@link BytecodeNeeds} reads, for {@link BytecodeNeedsTest}; never run. */
final class NeedsFixture {

    record Read(String a) {
    }

    record Written(int b) {
    }

    record InMap(String c) {
    }

    record ViaPrivate(String d) {
    }

    record Listed(String e) {
    }

    record Converted(String f) {
    }

    Object read(ObjectMapper m, byte[] v) throws IOException {
        return m.readValue(v, Read.class);
    }

    byte[] write(ObjectMapper m) throws IOException {
        return m.writeValueAsBytes(new Written(1));
    }

    byte[] inMap(ObjectMapper m) throws IOException {
        return m.writeValueAsBytes(Map.of("k", new InMap("x")));
    }

    long callsPrivate(ObjectMapper m) throws IOException {
        return json(m, new ViaPrivate("d")) + json(m, "plain");
    }

    private long json(ObjectMapper m, Object value) throws IOException {
        return m.writeValueAsBytes(value).length;
    }

    List<Listed> listed() {
        return List.of(new Listed("e"));
    }

    byte[] inAReturnedList(ObjectMapper m) throws IOException {
        return m.writeValueAsBytes(listed());
    }

    Object converted(ObjectMapper m, Object value) {
        return m.convertValue(value, Converted.class);
    }

    byte[] vague(ObjectMapper m, Object value) throws IOException {
        return m.writeValueAsBytes(value);
    }

    InputStream resource() {
        return NeedsFixture.class.getClassLoader().getResourceAsStream("fixture/needed.json");
    }

    Class<?> byName() throws ClassNotFoundException {
        return Class.forName("io.submissionrouter.nativeimage.NeedsFixture$Read");
    }

    Class<?> byComputedName(String name) throws ClassNotFoundException {
        return Class.forName(name);
    }
}
