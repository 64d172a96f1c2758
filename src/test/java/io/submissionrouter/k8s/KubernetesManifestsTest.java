package io.submissionrouter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code k8s/} overlays as {@code kubectl kustomize} renders them, parsed into fabric8's typed models.
 * fabric8 keeps a field it does not know (a misspelling, a field at the wrong level) in
 * {@code additionalProperties} instead of failing, and the API server would prune it silently, so every object
 * graph is walked and must have none. The custom resources (KEDA's ScaledObject, which has no fabric8 model,
 * and the Prometheus Operator's ServiceMonitor and PrometheusRule) are also checked against their published
 * schemas, kept in {@code src/test/resources/k8s-schemas}. Then the objects must fit together: selectors,
 * probes, ports, the security context, and the names the alerts and the dashboard use.
 */
class KubernetesManifestsTest {

    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory()).build();
    private static final ObjectMapper MODELS = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final Map<String, Class<? extends HasMetadata>> TYPED = Map.of(
            "ServiceAccount", ServiceAccount.class, "ConfigMap", ConfigMap.class, "Secret", Secret.class,
            "Service", Service.class, "Deployment", Deployment.class,
            "PodDisruptionBudget", PodDisruptionBudget.class, "NetworkPolicy", NetworkPolicy.class,
            "ServiceMonitor", ServiceMonitor.class, "PrometheusRule", PrometheusRule.class);
    /** The metrics the router registers (CONTRACT 7, and submission_deferred_total, README "Metrics"; issue 21's). */
    private static final Set<String> EXPORTED = Set.of("submission_jobs_total", "submission_smtp_attempts_total",
            "submission_smtp_send_seconds_bucket", "submission_breaker_state", "submission_deferred_total",
            "submission_kafka_writes_oldest_unanswered_seconds", "submission_kafka_producer_replaced_total");
    /** Custom resources and their schemas in src/test/resources/k8s-schemas (where each comes from is in its $comment). */
    private static final Map<String, String> SCHEMAS = Map.of(
            "ScaledObject", "keda-scaledobject-v1alpha1.schema.json",
            "ServiceMonitor", "monitoring-servicemonitor-v1.schema.json",
            "PrometheusRule", "monitoring-prometheusrule-v1.schema.json");
    private static final Pattern METRIC = Pattern.compile("\\bsubmission_[a-z_]+");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyRenderedObjectIsKnownToItsModelWithNoUnknownField(String overlay) throws Exception {
        List<JsonNode> rendered = render(overlay);
        assertThat(rendered).isNotEmpty();
        for (JsonNode node : rendered) {
            String kind = node.path("kind").asText();
            if (SCHEMAS.containsKey(kind)) {
                assertThat(schema(kind).validate(node)).as("%s against its published schema", kind).isEmpty();
            }
            if (kind.equals("ScaledObject")) {
                continue; // no fabric8 model
            }
            assertThat(TYPED).as("a typed model for %s", kind).containsKey(kind);
            HasMetadata object = MODELS.treeToValue(node, TYPED.get(kind));
            assertThat(unknownFields(object, kind)).as("fields the %s model does not know", kind).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theDeploymentRunsLockedDownWithProbesOnHealthAndCredentialsFromTheSecret(String overlay) throws Exception {
        Deployment d = one(overlay, Deployment.class);
        var pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        Container c = pod.getContainers().get(0);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        // health on the management interface (application.properties), never on the operator endpoints' port
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("management");
            assertThat(p.getContainerPort()).isEqualTo(9000);
        });
        // CONTRACT 7: readiness follows Kafka, never SMTP (that is /q/health/group/smtp)
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        // Camel's shutdown timeout (application.properties) plus time to commit and close
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(shutdownTimeoutSeconds() + 10);
        assertThat(c.getEnvFrom()).anySatisfy(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo("smtp-submission-router"));
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/run/secrets/smtp"));
        ConfigMap config = named(overlay, ConfigMap.class, "smtp-submission-router");
        assertThat(config.getData()).containsEntry("SUBMISSION_SMTP_PASSWORD_FILE", "/var/run/secrets/smtp/password")
                .doesNotContainKey("SUBMISSION_SMTP_PASSWORD");
    }

    /**
     * No overlay ships an admin token: the operator endpoints read theirs from an optional Secret of their own,
     * mounted as a file (rotation needs no restart), which no manifest here creates.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theAdminTokenComesOnlyFromASecretTheOperatorCreates(String overlay) throws Exception {
        for (JsonNode node : render(overlay)) {
            if (node.path("kind").asText().equals("Secret")) {
                assertThat(node.path("stringData").has("admin-token") || node.path("data").has("admin-token")
                        || node.path("stringData").has("token")).as("a Secret with an admin token").isFalse();
            }
        }
        var pod = one(overlay, Deployment.class).getSpec().getTemplate().getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(c.getEnv()).noneSatisfy(e -> assertThat(e.getName()).isEqualTo("SUBMISSION_ADMIN_TOKEN"));
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SUBMISSION_ADMIN_TOKEN_FILE");
            assertThat(e.getValue()).isEqualTo("/var/run/secrets/admin/token");
        });
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/run/secrets/admin"));
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("smtp-submission-router-admin");
            assertThat(v.getSecret().getOptional()).isTrue();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void selectorsFindThePods(String overlay) throws Exception {
        Map<String, String> podLabels = one(overlay, Deployment.class).getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(one(overlay, Deployment.class).getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(one(overlay, Service.class).getSpec().getSelector()).isNotEmpty();
        PodDisruptionBudget pdb = one(overlay, PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
        NetworkPolicy np = one(overlay, NetworkPolicy.class);
        assertThat(np.getSpec().getPodSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(np.getSpec().getPodSelector().getMatchLabels());
    }

    /** Health and metrics (9000) from the monitoring namespace; the operator endpoints (8080) only from named clients. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theOperatorPortIsAdmittedOnlyFromNamedClients(String overlay) throws Exception {
        NetworkPolicy np = one(overlay, NetworkPolicy.class);
        assertThat(np.getSpec().getIngress()).allSatisfy(rule -> {
            List<Integer> ports = rule.getPorts().stream().map(p -> p.getPort().getIntVal()).toList();
            assertThat(ports).isNotEmpty();
            if (ports.contains(8080)) {
                assertThat(ports).containsExactly(8080);
                // by namespace: the base's labels would turn a pod selector into one for the router's own pods
                assertThat(rule.getFrom()).isNotEmpty().allSatisfy(peer -> {
                    assertThat(peer.getPodSelector()).isNull();
                    assertThat(peer.getNamespaceSelector().getMatchLabels())
                            .isEqualTo(Map.of("smtp-submission-router/admin-client", "true"));
                });
            } else {
                assertThat(ports).containsExactly(9000);
                // health names SMTP hosts and Kafka errors: Prometheus's namespace only
                assertThat(rule.getFrom()).isNotEmpty().allSatisfy(peer -> {
                    assertThat(peer.getPodSelector()).isNull();
                    assertThat(peer.getNamespaceSelector().getMatchLabels())
                            .isEqualTo(Map.of("kubernetes.io/metadata.name", "monitoring"));
                });
            }
        });
        ServiceMonitor monitor = all(overlay, ServiceMonitor.class).stream().findFirst().orElse(null);
        if (monitor != null) {
            assertThat(monitor.getSpec().getEndpoints()).allSatisfy(e -> assertThat(e.getPort()).isEqualTo("management"));
        }
    }

    /**
     * Every egress rule names where it may go: Kafka in its namespace, DNS at the cluster's resolver, SMTP and token
     * endpoints anywhere but the cluster's own ranges and the metadata service's link-local range.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void egressNamesItsDestinations(String overlay) throws Exception {
        NetworkPolicy np = one(overlay, NetworkPolicy.class);
        assertThat(np.getSpec().getEgress()).allSatisfy(rule -> assertThat(rule.getTo()).isNotEmpty());
        // no pod selector in a peer: the base's labels are added to it, and it would match no kube-dns or broker pod
        assertThat(np.getSpec().getEgress()).flatExtracting(rule -> rule.getTo())
                .allSatisfy(peer -> assertThat(peer.getPodSelector()).isNull());
        // the brokers the ConfigMap names are in the namespace the policy admits
        String bootstrap = named(overlay, ConfigMap.class, "smtp-submission-router").getData()
                .get("KAFKA_BOOTSTRAP_SERVERS");
        assertThat(np.getSpec().getEgress()).anySatisfy(rule -> {
            assertThat(rule.getPorts()).anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(9092));
            String namespace = rule.getTo().get(0).getNamespaceSelector().getMatchLabels()
                    .get("kubernetes.io/metadata.name");
            assertThat(bootstrap).contains("." + namespace + ".svc");
        });
        Deployment d = one(overlay, Deployment.class);
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "9000");
        assertThat(np.getSpec().getEgress()).flatExtracting(rule -> rule.getTo()).filteredOn(p -> p.getIpBlock() != null)
                .allSatisfy(p -> assertThat(p.getIpBlock().getExcept()).contains("10.0.0.0/8", "172.16.0.0/12",
                        "192.168.0.0/16", "169.254.0.0/16"));
    }

    /** Kafka carries message bodies and personal data: production speaks SASL over TLS, its KEDA scaler too. */
    @Test
    void productionKafkaIsSaslOverTls() throws Exception {
        ConfigMap config = named("prod", ConfigMap.class, "smtp-submission-router");
        assertThat(config.getData()).containsEntry("CAMEL_COMPONENT_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        Container c = one("prod", Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("CAMEL_COMPONENT_KAFKA_SASL_JAAS_CONFIG");
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("smtp-submission-router-kafka");
        });
        JsonNode scaled = render("prod").stream().filter(n -> n.path("kind").asText().equals("ScaledObject"))
                .findFirst().orElseThrow();
        JsonNode trigger = scaled.path("spec").path("triggers").get(0);
        assertThat(trigger.path("metadata").path("tls").asText()).isEqualTo("enable");
        assertThat(trigger.path("metadata").path("sasl").asText()).isEqualTo("scram_sha512");
        assertThat(trigger.path("authenticationRef").path("name").asText()).isEqualTo("smtp-submission-router-kafka");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void egressIsKafkaSmtpSubmissionTokenEndpointsAndDnsOnly(String overlay) throws Exception {
        NetworkPolicy np = one(overlay, NetworkPolicy.class);
        assertThat(np.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        Set<String> ports = np.getSpec().getEgress().stream().flatMap(rule -> rule.getPorts().stream())
                .map(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).collect(Collectors.toCollection(TreeSet::new));
        // 587 and 2525 (STARTTLS), 465 (implicit TLS), 443 (OAuth2 token endpoints for XOAUTH2)
        assertThat(ports).containsExactlyInAnyOrder("TCP/9092", "TCP/9093", "TCP/587", "TCP/2525", "TCP/465",
                "TCP/443", "UDP/53", "TCP/53");
        assertThat(np.getSpec().getEgress()).allSatisfy(rule -> assertThat(rule.getPorts()).isNotEmpty());
    }

    @Test
    void prodScalesOnTheJobsTopicsLagAndIsWatched() throws Exception {
        JsonNode scaled = render("prod").stream().filter(n -> n.path("kind").asText().equals("ScaledObject"))
                .findFirst().orElseThrow();
        assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo(one("prod", Deployment.class).getMetadata().getName());
        JsonNode trigger = scaled.at("/spec/triggers/0");
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        // the defaults of submission.topics.jobs and submission.consumer.group-id (CONTRACT 2 and 5)
        assertThat(trigger.at("/metadata/topic").asText()).isEqualTo("email.jobs");
        assertThat(trigger.at("/metadata/consumerGroup").asText()).isEqualTo("smtp-submission-router");
        // never more replicas than partitions can feed
        assertThat(trigger.at("/metadata/allowIdleConsumers").asText()).isEqualTo("false");
        assertThat(one("prod", Deployment.class).getSpec().getReplicas()).as("KEDA owns the replica count").isNull();

        ServiceMonitor monitor = one("prod", ServiceMonitor.class);
        Service service = one("prod", Service.class);
        assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(monitor.getSpec().getSelector().getMatchLabels());
        assertThat(monitor.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPath()).isEqualTo("/q/metrics");
            assertThat(service.getSpec().getPorts()).anySatisfy(p -> assertThat(p.getName()).isEqualTo(e.getPort()));
        });

        Set<String> alerts = one("prod", PrometheusRule.class).getSpec().getGroups().stream()
                .flatMap(g -> g.getRules().stream()).map(r -> r.getAlert()).collect(Collectors.toSet());
        assertThat(alerts).contains("SubmissionBreakerOpenTooLong", "SubmissionDeadLetterRate", "SubmissionRetryBacklog",
                "SubmissionNoSuccessfulSend");
    }

    @Test
    void alertsAndDashboardUseOnlyMetricsTheRouterExports() throws Exception {
        String rules = MODELS.writeValueAsString(one("prod", PrometheusRule.class).getSpec());
        ConfigMap dashboard = named("prod", ConfigMap.class, "smtp-submission-router-dashboard");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        String json = dashboard.getData().get("smtp-submission-router.json");
        JsonNode panels = MODELS.readTree(json).path("panels");
        List<String> titles = new ArrayList<>();
        panels.forEach(p -> titles.add(p.path("title").asText()));
        assertThat(titles).anyMatch(t -> t.startsWith("Jobs by status")).anyMatch(t -> t.startsWith("Breaker state"))
                .anyMatch(t -> t.contains("percentiles")).anyMatch(t -> t.startsWith("Retries"))
                .anyMatch(t -> t.startsWith("Dead letters")).anyMatch(t -> t.contains("by endpoint"));
        for (String text : List.of(rules, json)) {
            Matcher m = METRIC.matcher(text);
            Set<String> used = new TreeSet<>();
            while (m.find()) {
                used.add(m.group());
            }
            assertThat(used).isNotEmpty();
            assertThat(EXPORTED).containsAll(used);
        }
    }

    @Test
    void aMisspeltFieldIsCaughtInATypedModelAndInTheCustomResources() throws Exception {
        JsonNode deployment = render("prod").stream().filter(n -> n.path("kind").asText().equals("Deployment"))
                .findFirst().orElseThrow();
        var container = (ObjectNode) deployment.at("/spec/template/spec/containers/0");
        container.set("readinesProbe", container.remove("readinessProbe"));
        assertThat(unknownFields(MODELS.treeToValue(deployment, Deployment.class), "Deployment"))
                .singleElement().asString().contains("readinesProbe");

        JsonNode scaled = render("prod").stream().filter(n -> n.path("kind").asText().equals("ScaledObject"))
                .findFirst().orElseThrow();
        var metadata = (ObjectNode) scaled.at("/spec/triggers/0/metadata");
        metadata.set("lagTreshold", metadata.remove("lagThreshold"));
        ((ObjectNode) scaled.path("spec")).put("maxReplicas", 3);
        assertThat(schema("ScaledObject").validate(scaled)).hasSize(2);

        JsonNode monitor = render("prod").stream().filter(n -> n.path("kind").asText().equals("ServiceMonitor"))
                .findFirst().orElseThrow();
        var endpoint = (ObjectNode) monitor.at("/spec/endpoints/0");
        endpoint.set("scrapeTimout", endpoint.remove("scrapeTimeout"));
        assertThat(schema("ServiceMonitor").validate(monitor)).isNotEmpty();
    }

    // --- rendering and walking

    private static final Map<String, List<JsonNode>> RENDERED = new ConcurrentHashMap<>();

    /** The overlay's objects (rendered once; each call gets its own copies). */
    private static List<JsonNode> render(String overlay) throws IOException, InterruptedException {
        if (!RENDERED.containsKey(overlay)) {
            RENDERED.put(overlay, kustomize(overlay));
        }
        return RENDERED.get(overlay).stream().<JsonNode>map(JsonNode::deepCopy).toList();
    }

    private static List<JsonNode> kustomize(String overlay) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kubectl", "kustomize", "k8s/overlays/" + overlay).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(out, StandardCharsets.UTF_8)).isZero();
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(out)) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        return docs;
    }

    private static <T extends HasMetadata> T one(String overlay, Class<T> type) throws Exception {
        List<T> all = all(overlay, type);
        assertThat(all).as(type.getSimpleName() + " in " + overlay).hasSize(1);
        return all.get(0);
    }

    private static <T extends HasMetadata> T named(String overlay, Class<T> type, String name) throws Exception {
        return all(overlay, type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static <T extends HasMetadata> List<T> all(String overlay, Class<T> type) throws Exception {
        List<T> found = new ArrayList<>();
        for (JsonNode node : render(overlay)) {
            if (TYPED.get(node.path("kind").asText()) == type) {
                found.add(MODELS.treeToValue(node, type));
            }
        }
        return found;
    }

    /** Paths to every non-empty {@code additionalProperties} in the object graph of a fabric8 model. */
    static List<String> unknownFields(Object model, String path) throws ReflectiveOperationException {
        List<String> found = new ArrayList<>();
        walk(model, path, found, new IdentityHashMap<>());
        return found;
    }

    private static void walk(Object o, String path, List<String> found, Map<Object, Boolean> seen)
            throws ReflectiveOperationException {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            for (var e : map.entrySet()) {
                walk(e.getValue(), path + "." + e.getKey(), found, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
                continue;
            }
            walk(value, path + "." + m.getName().substring(3), found, seen);
        }
    }

    private static JsonSchema schema(String kind) throws IOException {
        try (InputStream in = KubernetesManifestsTest.class.getResourceAsStream("/k8s-schemas/" + SCHEMAS.get(kind))) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    private static int shutdownTimeoutSeconds() throws IOException {
        return Files.readAllLines(Path.of("src/main/resources/application.properties")).stream()
                .filter(l -> l.startsWith("camel.main.shutdown-timeout=")).map(l -> Integer.parseInt(l.split("=")[1].trim()))
                .findFirst().orElseThrow();
    }
}
