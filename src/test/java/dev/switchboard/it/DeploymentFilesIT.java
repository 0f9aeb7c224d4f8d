package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.switchboard.metrics.MetricNames;
import dev.switchboard.metrics.PrometheusServlet;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static checks of the deployment files in {@code docker/}; no Docker engine or cluster needed.
 * Each file goes through a real validator, then through assertions that tie the files to each other
 * and to the server (ports, drain timing, metric names):
 *
 * <ul>
 *   <li>{@code nginx.conf}: {@code nginx -t} (Debian's nginx) on a copy whose upstream host names
 *       are mapped to 127.0.0.1, since nginx resolves them when it loads the file;
 *   <li>{@code compose.yaml}: {@code docker-compose config} (Debian's docker-compose, or {@code
 *       docker compose} where the plugin exists), which checks it against the Compose schema and
 *       resolves anchors, merges and paths; the assertions read its resolved output;
 *   <li>{@code k8s/}: the fabric8 Kubernetes model (unknown fields and wrong types fail) and the
 *       OpenAPI-derived JSON schemas of the npm package kubernetes-models (required fields,
 *       formats), run by {@code docker/.tools/check.mjs};
 *   <li>{@code grafana-dashboard.json}: every query parsed with Prometheus's PromQL grammar (npm
 *       {@code @prometheus-io/lezer-promql}); the metric names it selects must be exported.
 * </ul>
 *
 * A missing tool is a failure that says to run {@code .ci/run}, never a skip.
 */
class DeploymentFilesIT {

  private static final Path ROOT =
      Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
  private static final Path DOCKER = ROOT.resolve("docker");
  private static final Path K8S = DOCKER.resolve("k8s");
  private static final Path TOOLS = DOCKER.resolve(".tools");
  private static final String INSTALL_HINT =
      ": run .ci/run, which installs the tools of this test "
          + "(apt-get install nginx docker-compose; npm ci --prefix docker/.tools)";

  /** The server's defaults (SignalingConfig): what a file that does not set them gets. */
  private static final int DEFAULT_DRAIN_TIMEOUT_MS = 5000;

  private static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

  /** Time for the JVM to exit after the drain, beyond every wait the files add up. */
  private static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(5);

  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final YAMLMapper YAML = new YAMLMapper();

  // ---------------------------------------------------------------------------------------------
  // nginx

  @Test
  void nginxAcceptsTheLoadBalancerConfig(@TempDir Path temp) throws IOException {
    String config = Files.readString(DOCKER.resolve("nginx.conf"));
    Matcher servers = UPSTREAM_SERVER.matcher(config);
    assertThat(servers.find()).as("nginx.conf has upstream servers").isTrue();
    // nginx -t resolves upstream host names; the compose service names exist only in compose.
    String resolvable = servers.replaceAll("$1127.0.0.1$3");
    Path copy = temp.resolve("nginx.conf");
    Files.writeString(copy, resolvable);
    // A private prefix, startup error log and pid file: no root, no /var/log or /run needed.
    Result result =
        run(
            List.of(
                tool("nginx", "/usr/sbin/nginx"),
                "-t",
                "-p",
                temp + "/",
                "-e",
                temp.resolve("error.log").toString(),
                "-c",
                copy.toString(),
                "-g",
                "pid " + temp.resolve("nginx.pid") + ";"));
    assertThat(result.exit()).as("nginx -t on docker/nginx.conf:%n%s", result.output()).isZero();
    assertThat(result.output()).contains("test is successful");
  }

  @Test
  void loadBalancerUpgradesWebSocketsToEveryComposeInstance() throws IOException {
    String config = withoutComments(Files.readString(DOCKER.resolve("nginx.conf")));

    Matcher map =
        Pattern.compile("map\\s+\\$http_upgrade\\s+\\$(\\w+)\\s*\\{([^}]*)}").matcher(config);
    assertThat(map.find()).as("a map $http_upgrade $variable { ... } block").isTrue();
    String connection = map.group(1);
    assertThat(map.group(2))
        .as("the map sends upgrade by default")
        .containsPattern("default\\s+upgrade;");

    Matcher proxyPass = Pattern.compile("proxy_pass\\s+http://([\\w-]+)\\s*;").matcher(config);
    assertThat(proxyPass.find()).as("proxy_pass http://UPSTREAM;").isTrue();
    Matcher upstream =
        Pattern.compile("upstream\\s+" + Pattern.quote(proxyPass.group(1)) + "\\s*\\{([^}]*)}")
            .matcher(config);
    assertThat(upstream.find()).as("upstream %s { ... }", proxyPass.group(1)).isTrue();
    Matcher sticky = Pattern.compile("\\b(ip_hash|hash|sticky)\\b").matcher(upstream.group(1));
    assertThat(sticky.find() ? sticky.group(1) : null)
        .as("no sticky sessions in the upstream: rooms span instances through Redis")
        .isNull();
    Set<String> servers = new TreeSet<>();
    Matcher server = UPSTREAM_SERVER.matcher(upstream.group(1));
    while (server.find()) {
      servers.add(server.group(2) + server.group(3));
    }
    Set<String> instances = new TreeSet<>();
    composeInstances(resolvedCompose())
        .forEach((name, service) -> instances.add(name + ":" + env(service).get("PORT")));
    assertThat(servers).as("the upstream servers are the compose instances").isEqualTo(instances);

    Map<String, String> directives = new LinkedHashMap<>();
    directives.put("proxy_http_version 1.1;", "proxy_http_version\\s+1\\.1\\s*;");
    directives.put(
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header\\s+Upgrade\\s+\\$http_upgrade\\s*;");
    directives.put(
        "proxy_set_header Connection $" + connection + ";",
        "proxy_set_header\\s+Connection\\s+\\$" + connection + "\\s*;");
    directives.put(
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header\\s+X-Forwarded-For\\s+\\$proxy_add_x_forwarded_for\\s*;");
    directives.put(
        "proxy_set_header X-Forwarded-Proto $scheme (or a variable);",
        "proxy_set_header\\s+X-Forwarded-Proto\\s+\\$\\w+\\s*;");
    directives.forEach(
        (directive, pattern) ->
            assertThat(Pattern.compile(pattern).matcher(config).find())
                .as("nginx.conf has %s", directive)
                .isTrue());
    Matcher readTimeout = Pattern.compile("proxy_read_timeout\\s+(\\w+)\\s*;").matcher(config);
    assertThat(readTimeout.find())
        .as("proxy_read_timeout is set (the default 60 s is short)")
        .isTrue();
    assertThat(duration(readTimeout.group(1)))
        .as("proxy_read_timeout outlasts many heartbeats")
        .isGreaterThanOrEqualTo(HEARTBEAT_INTERVAL.multipliedBy(10));
  }

  /** An upstream {@code server HOST:PORT} line (not a {@code server {} block). */
  private static final Pattern UPSTREAM_SERVER =
      Pattern.compile("(?m)^(\\s*server\\s+)([A-Za-z][\\w.-]*)(:\\d+)");

  // ---------------------------------------------------------------------------------------------
  // Compose

  @Test
  void composeFileIsValidCompose() {
    // resolvedCompose() fails with the tool's message when the file is invalid.
    assertThat(resolvedCompose().path("services").isObject()).isTrue();
  }

  @Test
  void composeRunsRedisAndSeveralInstancesBehindNginx() {
    JsonNode compose = resolvedCompose();
    JsonNode services = compose.path("services");
    JsonNode redis = services.path("redis");
    assertThat(redis.path("image").asText()).as("services.redis.image").startsWith("redis:7");
    assertThat(redis.path("healthcheck").path("test").isMissingNode())
        .as("redis healthcheck")
        .isFalse();

    Map<String, JsonNode> instances = composeInstances(compose);
    assertThat(instances)
        .as("switchboard services built from docker/Dockerfile")
        .hasSizeGreaterThanOrEqualTo(2);
    Set<String> instanceIds = new HashSet<>();
    instances.forEach(
        (name, service) -> {
          Map<String, String> env = env(service);
          assertThat(Path.of(service.path("build").path("context").asText()))
              .as("%s: build context is the repository root (the Dockerfile copies target/)", name)
              .isEqualTo(ROOT);
          URI redisUrl = URI.create(env.getOrDefault("REDIS_URL", ""));
          assertThat(redisUrl.getScheme()).as("%s: REDIS_URL", name).isEqualTo("redis");
          assertThat(services.has(redisUrl.getHost()))
              .as("%s: REDIS_URL %s names a compose service", name, redisUrl)
              .isTrue();
          assertThat(redisUrl.getPort()).as("%s: REDIS_URL port", name).isEqualTo(6379);
          assertThat(dependsOn(service)).as("%s depends_on", name).contains(redisUrl.getHost());
          assertThat(env)
              .as("%s environment", name)
              .containsEntry("PORT", "3002")
              .containsEntry("HEALTH_PORT", "8080");
          assertThat(env.get("INSTANCE_ID")).as("%s: INSTANCE_ID", name).isNotBlank();
          assertThat(instanceIds.add(env.get("INSTANCE_ID")))
              .as("%s: INSTANCE_ID %s is distinct", name, env.get("INSTANCE_ID"))
              .isTrue();

          String healthcheck = String.join(" ", strings(service.path("healthcheck").path("test")));
          assertThat(healthcheck)
              .as("%s: healthcheck asks /readyz on HEALTH_PORT", name)
              .contains("/readyz", env.get("HEALTH_PORT"));
          Duration drain = Duration.ofMillis(drainTimeoutMs(env.get("DRAIN_TIMEOUT_MS")));
          Duration grace = duration(service.path("stop_grace_period").asText("10s"));
          assertThat(grace)
              .as(
                  "%s: stop_grace_period %s covers DRAIN_TIMEOUT_MS %s plus %s",
                  name, grace, drain, SHUTDOWN_MARGIN)
              .isGreaterThanOrEqualTo(drain.plus(SHUTDOWN_MARGIN));
          assertThat(service.path("stop_signal").asText("SIGTERM")).isEqualTo("SIGTERM");
        });

    JsonNode nginx = services.path("nginx");
    assertThat(nginx.path("image").asText()).as("services.nginx.image").startsWith("nginx:");
    assertThat(dependsOn(nginx))
        .as("nginx depends_on every instance")
        .containsAll(instances.keySet());
    assertThat(volumes(nginx))
        .as("nginx mounts docker/nginx.conf")
        .contains(DOCKER.resolve("nginx.conf") + ":/etc/nginx/nginx.conf");
    assertThat(nginx.path("ports").toString())
        .as("nginx publishes port 80")
        .containsPattern("\\b80\\b");
  }

  private static JsonNode resolvedComposeCache;

  /** compose.yaml as Compose itself reads it: validated, anchors merged, paths made absolute. */
  private static synchronized JsonNode resolvedCompose() {
    if (resolvedComposeCache == null) {
      List<String> command = new ArrayList<>();
      Optional<String> legacy = onPath("docker-compose");
      if (legacy.isPresent()) {
        command.add(legacy.get());
      } else if (onPath("docker").isPresent()
          && run(List.of("docker", "compose", "version")).exit() == 0) {
        command.addAll(List.of("docker", "compose"));
      } else {
        fail("docker-compose (or the docker compose plugin) is not installed" + INSTALL_HINT);
      }
      command.addAll(List.of("-f", DOCKER.resolve("compose.yaml").toString(), "config"));
      Result result = run(command);
      assertThat(result.exit()).as("%s:%n%s", String.join(" ", command), result.output()).isZero();
      try {
        resolvedComposeCache = YAML.readTree(result.stdout());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return resolvedComposeCache;
  }

  /** The services built from docker/Dockerfile, by name. */
  private static Map<String, JsonNode> composeInstances(JsonNode compose) {
    Map<String, JsonNode> instances = new LinkedHashMap<>();
    compose
        .path("services")
        .fields()
        .forEachRemaining(
            service -> {
              String dockerfile = service.getValue().path("build").path("dockerfile").asText("");
              if (dockerfile.endsWith("docker/Dockerfile")) {
                instances.put(service.getKey(), service.getValue());
              }
            });
    return instances;
  }

  private static Map<String, String> env(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode environment = service.path("environment");
    if (environment.isArray()) {
      environment.forEach(
          entry -> {
            String[] pair = entry.asText().split("=", 2);
            env.put(pair[0], pair.length > 1 ? pair[1] : "");
          });
    } else {
      environment.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    return env;
  }

  private static Set<String> dependsOn(JsonNode service) {
    JsonNode dependsOn = service.path("depends_on");
    Set<String> names = new TreeSet<>();
    if (dependsOn.isArray()) {
      dependsOn.forEach(name -> names.add(name.asText()));
    } else {
      dependsOn.fieldNames().forEachRemaining(names::add);
    }
    return names;
  }

  /** Volumes as SOURCE:TARGET, from the short or the long syntax. */
  private static List<String> volumes(JsonNode service) {
    List<String> volumes = new ArrayList<>();
    service
        .path("volumes")
        .forEach(
            volume -> {
              if (volume.isTextual()) {
                String[] parts = volume.asText().split(":");
                volumes.add(parts[0] + ":" + parts[1]);
              } else {
                volumes.add(volume.path("source").asText() + ":" + volume.path("target").asText());
              }
            });
    return volumes;
  }

  // ---------------------------------------------------------------------------------------------
  // Kubernetes

  /** Every kind the manifests may use, with its model class: anything else is an error. */
  private static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of(
          "apps/v1 Deployment", Deployment.class,
          "v1 Service", Service.class,
          "autoscaling/v2 HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
          "policy/v1 PodDisruptionBudget", PodDisruptionBudget.class);

  /**
   * Reads like the API server: an unknown field or a value of the wrong type (a number where a
   * string belongs, or the reverse) is an error. fabric8's models keep unknown fields in an
   * "additional properties" map; this mapper does not let them.
   */
  private static final ObjectMapper STRICT = strictMapper();

  private static ObjectMapper strictMapper() {
    YAMLMapper mapper =
        YAMLMapper.builder()
            .annotationIntrospector(
                new JacksonAnnotationIntrospector() {
                  @Override
                  public Boolean hasAnySetter(Annotated annotated) {
                    return Boolean.FALSE;
                  }
                })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper
        .coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper
        .coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return mapper;
  }

  private static List<Path> manifestFiles() {
    try (Stream<Path> files = Files.list(K8S)) {
      return files
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .filter(f -> !f.getFileName().toString().startsWith("kustomization."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<HasMetadata> manifests() {
    List<HasMetadata> objects = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Path file : manifestFiles()) {
      try {
        int index = 0;
        for (JsonNode document :
            YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile()).readAll()) {
          index++;
          if (document == null || document.isNull() || document.isMissingNode()) {
            continue;
          }
          String where = K8S.relativize(file) + "#" + index;
          String kind = document.path("apiVersion").asText() + " " + document.path("kind").asText();
          Class<? extends HasMetadata> type = KINDS.get(kind);
          if (type == null) {
            errors.add(
                where + ": unexpected kind " + kind + " (expected one of " + KINDS.keySet() + ")");
            continue;
          }
          try {
            objects.add(STRICT.treeToValue(document, type));
          } catch (IOException e) {
            errors.add(
                where + ": " + e.getMessage().lines().findFirst().orElse("") + " at " + path(e));
          }
        }
      } catch (IOException e) {
        errors.add(K8S.relativize(file) + ": not YAML: " + e.getMessage());
      }
    }
    assertThat(errors).as("docker/k8s manifests read as Kubernetes objects").isEmpty();
    return objects;
  }

  private static String path(IOException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
      return mapping.getPath().stream()
          .map(
              ref ->
                  ref.getFieldName() != null
                      ? "." + ref.getFieldName()
                      : "[" + ref.getIndex() + "]")
          .collect(Collectors.joining());
    }
    return "?";
  }

  private static <T extends HasMetadata> List<T> ofKind(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static Deployment switchboard(List<HasMetadata> objects) {
    List<Deployment> deployments =
        ofKind(objects, Deployment.class).stream()
            .filter(
                d ->
                    d.getSpec().getTemplate().getSpec().getContainers().stream()
                        .anyMatch(c -> c.getImage().startsWith("switchboard")))
            .toList();
    assertThat(deployments).as("one Deployment runs the switchboard image").hasSize(1);
    return deployments.get(0);
  }

  @Test
  void kubernetesManifestsAreStrictKubernetesObjects() {
    List<HasMetadata> objects = manifests();
    assertThat(objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()))
        .contains(
            "Deployment/switchboard",
            "Service/switchboard",
            "HorizontalPodAutoscaler/switchboard",
            "PodDisruptionBudget/switchboard",
            "Deployment/redis",
            "Service/redis");
    for (HasMetadata object : objects) {
      assertThat(object.getMetadata().getName())
          .as("%s name is a DNS label", object.getKind())
          .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }
  }

  @Test
  void kubernetesManifestsMatchTheKubernetesSchemas() {
    List<String> command =
        new ArrayList<>(List.of(node(), TOOLS.resolve("check.mjs").toString(), "k8s"));
    manifestFiles().forEach(f -> command.add(f.toString()));
    Result result = run(command);
    assertThat(result.exit()).as("docker/.tools/check.mjs k8s:%n%s", result.output()).isZero();
    assertThat(result.stdout().lines())
        .hasSizeGreaterThanOrEqualTo(manifestFiles().size())
        .allMatch(l -> l.endsWith(" valid"));
  }

  @Test
  void deploymentProbesTheHealthPortAndDrainsWithinItsGracePeriod() {
    List<HasMetadata> objects = manifests();
    Deployment deployment = switchboard(objects);
    assertThat(deployment.getSpec().getReplicas()).as("replicas").isGreaterThanOrEqualTo(2);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container =
        pod.getContainers().stream()
            .filter(c -> c.getImage().startsWith("switchboard"))
            .findFirst()
            .orElseThrow();
    Map<String, EnvVar> env =
        container.getEnv().stream()
            .collect(
                Collectors.toMap(
                    EnvVar::getName, e -> e, (a, b) -> fail("duplicate env " + a.getName())));

    int port = Integer.parseInt(value(env, "PORT"));
    int healthPort = Integer.parseInt(value(env, "HEALTH_PORT"));
    assertThat(container.getPorts().stream().map(ContainerPort::getContainerPort))
        .containsExactlyInAnyOrder(port, healthPort);

    Probe liveness = container.getLivenessProbe();
    Probe readiness = container.getReadinessProbe();
    assertThat(liveness).as("livenessProbe").isNotNull();
    assertThat(readiness).as("readinessProbe").isNotNull();
    assertThat(liveness.getHttpGet().getPath()).as("liveness path").isEqualTo("/healthz");
    assertThat(containerPort(container, liveness.getHttpGet().getPort()))
        .as("liveness port")
        .isEqualTo(healthPort);
    assertThat(readiness.getHttpGet().getPath()).as("readiness path").isEqualTo("/readyz");
    assertThat(containerPort(container, readiness.getHttpGet().getPort()))
        .as("readiness port")
        .isEqualTo(healthPort);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .as("scrape annotations: /prometheus, which the health port serves")
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/path", PrometheusServlet.PATH)
        .containsEntry("prometheus.io/port", String.valueOf(healthPort));
    if (container.getStartupProbe() != null) {
      assertThat(container.getStartupProbe().getHttpGet().getPath()).isIn("/healthz", "/readyz");
      assertThat(containerPort(container, container.getStartupProbe().getHttpGet().getPort()))
          .isEqualTo(healthPort);
    }

    Map<String, Quantity> requests = container.getResources().getRequests();
    Map<String, Quantity> limits = container.getResources().getLimits();
    for (String resource : List.of("cpu", "memory")) {
      assertThat(requests).as("resources.requests").containsKey(resource);
      assertThat(limits).as("resources.limits").containsKey(resource);
      assertThat(amount(requests.get(resource)))
          .as("%s request within its limit", resource)
          .isLessThanOrEqualTo(amount(limits.get(resource)));
    }

    Boolean runAsNonRoot =
        Optional.ofNullable(container.getSecurityContext())
            .map(s -> s.getRunAsNonRoot())
            .orElse(pod.getSecurityContext().getRunAsNonRoot());
    Long runAsUser =
        Optional.ofNullable(container.getSecurityContext())
            .map(s -> s.getRunAsUser())
            .orElse(pod.getSecurityContext().getRunAsUser());
    assertThat(runAsNonRoot).as("runAsNonRoot").isTrue();
    assertThat(runAsUser).as("runAsUser: the Dockerfile's USER").isEqualTo(dockerfileUser());
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation())
        .as("allowPrivilegeEscalation")
        .isFalse();
    if (Boolean.TRUE.equals(container.getSecurityContext().getReadOnlyRootFilesystem())) {
      // Payara Micro unpacks its runtime to java.io.tmpdir at start.
      assertThat(container.getVolumeMounts())
          .as("a read-only root file system needs a writable /tmp")
          .anySatisfy(
              mount -> {
                assertThat(mount.getMountPath()).isEqualTo("/tmp");
                assertThat(mount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
                assertThat(pod.getVolumes())
                    .anyMatch(v -> v.getName().equals(mount.getName()) && v.getEmptyDir() != null);
              });
    }

    URI redisUrl = URI.create(value(env, "REDIS_URL"));
    assertThat(redisUrl.getScheme()).isEqualTo("redis");
    Service redis =
        ofKind(objects, Service.class).stream()
            .filter(s -> s.getMetadata().getName().equals(redisUrl.getHost()))
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "REDIS_URL " + redisUrl + " names no Service in docker/k8s"));
    assertThat(redis.getSpec().getPorts().stream().map(ServicePort::getPort))
        .as("redis Service ports")
        .contains(redisUrl.getPort());
    assertThat(env.get("INSTANCE_ID").getValueFrom().getFieldRef().getFieldPath())
        .as("INSTANCE_ID comes from the pod name (downward API)")
        .isEqualTo("metadata.name");

    Duration drain =
        Duration.ofMillis(
            drainTimeoutMs(
                env.containsKey("DRAIN_TIMEOUT_MS") ? value(env, "DRAIN_TIMEOUT_MS") : null));
    Duration preStop = preStopSleep(container);
    assertThat(preStop)
        .as("preStop sleeps so that endpoints drop the pod before SIGTERM")
        .isPositive();
    Duration grace =
        Duration.ofSeconds(Optional.ofNullable(pod.getTerminationGracePeriodSeconds()).orElse(30L));
    assertThat(grace)
        .as(
            "terminationGracePeriodSeconds covers preStop %s + DRAIN_TIMEOUT_MS %s + %s",
            preStop, drain, SHUTDOWN_MARGIN)
        .isGreaterThanOrEqualTo(preStop.plus(drain).plus(SHUTDOWN_MARGIN));
  }

  @Test
  void serviceAutoscalerAndBudgetSelectTheSwitchboardPods() {
    List<HasMetadata> objects = manifests();
    Deployment deployment = switchboard(objects);
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);

    Service service =
        ofKind(objects, Service.class).stream()
            .filter(s -> podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet()))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("no Service selects the switchboard pods " + podLabels));
    assertThat(service.getSpec().getSessionAffinity()).as("no session affinity").isIn(null, "None");
    for (ServicePort port : service.getSpec().getPorts()) {
      assertThat(containerPort(container, port.getTargetPort()))
          .as("Service port %s targets the WebSocket port", port.getName())
          .isEqualTo(
              Integer.parseInt(
                  container.getEnv().stream()
                      .filter(e -> e.getName().equals("PORT"))
                      .findFirst()
                      .orElseThrow()
                      .getValue()));
    }

    HorizontalPodAutoscaler hpa = ofKind(objects, HorizontalPodAutoscaler.class).get(0);
    assertThat(hpa.getSpec().getScaleTargetRef().getApiVersion())
        .as("HPA scaleTargetRef.apiVersion")
        .isEqualTo("apps/v1");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind())
        .as("HPA scaleTargetRef.kind")
        .isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getName())
        .as("HPA scaleTargetRef.name")
        .isEqualTo(deployment.getMetadata().getName());
    assertThat(hpa.getSpec().getMinReplicas()).as("minReplicas").isGreaterThanOrEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas())
        .as("maxReplicas")
        .isGreaterThanOrEqualTo(hpa.getSpec().getMinReplicas());
    assertThat(hpa.getSpec().getMetrics())
        .as("scales on CPU utilization")
        .anySatisfy(
            m -> {
              assertThat(m.getType()).isEqualTo("Resource");
              assertThat(m.getResource().getName()).isEqualTo("cpu");
              assertThat(m.getResource().getTarget().getType()).isEqualTo("Utilization");
              assertThat(m.getResource().getTarget().getAverageUtilization()).isBetween(1, 100);
            });

    PodDisruptionBudget pdb = ofKind(objects, PodDisruptionBudget.class).get(0);
    Map<String, String> pdbSelector = pdb.getSpec().getSelector().getMatchLabels();
    assertThat(pdbSelector).as("PDB selector").isNotEmpty();
    assertThat(podLabels)
        .as("the PDB selects the switchboard pods")
        .containsAllEntriesOf(pdbSelector);
    for (Deployment other : ofKind(objects, Deployment.class)) {
      if (other != deployment) {
        assertThat(
                other
                    .getSpec()
                    .getTemplate()
                    .getMetadata()
                    .getLabels()
                    .entrySet()
                    .containsAll(pdbSelector.entrySet()))
            .as("the PDB does not also select %s", other.getMetadata().getName())
            .isFalse();
      }
    }
    IntOrString maxUnavailable = pdb.getSpec().getMaxUnavailable();
    IntOrString minAvailable = pdb.getSpec().getMinAvailable();
    assertThat(maxUnavailable != null ^ minAvailable != null)
        .as("exactly one of maxUnavailable, minAvailable")
        .isTrue();
    if (minAvailable != null && minAvailable.getIntVal() != null) {
      assertThat(minAvailable.getIntVal())
          .as("minAvailable leaves room to evict a pod")
          .isLessThan(hpa.getSpec().getMinReplicas());
    }
    if (maxUnavailable != null && maxUnavailable.getIntVal() != null) {
      assertThat(maxUnavailable.getIntVal()).as("maxUnavailable").isPositive();
    }
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    JsonNode kustomization = YAML.readTree(K8S.resolve("kustomization.yaml").toFile());
    assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
    assertThat(strings(kustomization.path("resources")))
        .as("kustomization.yaml resources are the manifests in docker/k8s")
        .containsExactlyInAnyOrderElementsOf(
            manifestFiles().stream().map(f -> f.getFileName().toString()).toList());
    String image =
        switchboard(manifests())
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getImage();
    kustomization
        .path("images")
        .forEach(
            i ->
                assertThat(image)
                    .as("kustomize images[].name matches the image")
                    .startsWith(i.path("name").asText()));
  }

  private static String value(Map<String, EnvVar> env, String name) {
    assertThat(env).as("env").containsKey(name);
    assertThat(env.get(name).getValue()).as("env %s value", name).isNotNull();
    return env.get(name).getValue();
  }

  private static BigDecimal amount(Quantity quantity) {
    try {
      return quantity.getNumericalAmount();
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw new AssertionError("not a Kubernetes quantity: " + quantity, e);
    }
  }

  private static int containerPort(Container container, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return container.getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
  }

  private static Duration preStopSleep(Container container) {
    assertThat(container.getLifecycle()).as("lifecycle").isNotNull();
    var preStop = container.getLifecycle().getPreStop();
    assertThat(preStop).as("lifecycle.preStop").isNotNull();
    if (preStop.getSleep() != null) {
      return Duration.ofSeconds(preStop.getSleep().getSeconds());
    }
    List<String> command = preStop.getExec().getCommand();
    Matcher sleep =
        Pattern.compile("(?:^|\\s)sleep\\s+(\\d+)\\b").matcher(String.join(" ", command));
    assertThat(sleep.find()).as("preStop exec %s sleeps N seconds", command).isTrue();
    return Duration.ofSeconds(Long.parseLong(sleep.group(1)));
  }

  // ---------------------------------------------------------------------------------------------
  // Dockerfile

  @Test
  void dockerfileRunsTheJarOnAJreAsNonRootWithAHealthcheck() throws IOException {
    List<String> instructions = dockerfile();
    List<String> from = instructions.stream().filter(i -> i.startsWith("FROM ")).toList();
    assertThat(from).as("a FROM").isNotEmpty();
    assertThat(from.get(from.size() - 1))
        .as("the image runs on a JRE base image, not a JDK")
        .containsPattern("\\bjre\\b|-jre");
    assertThat(dockerfileUser()).as("the last USER is not root").isNotZero();
    List<String> healthchecks =
        instructions.stream().filter(i -> i.startsWith("HEALTHCHECK ")).toList();
    assertThat(healthchecks).as("one HEALTHCHECK").hasSize(1);
    assertThat(healthchecks.get(0))
        .as("HEALTHCHECK asks /readyz on HEALTH_PORT")
        .doesNotContain("NONE")
        .contains("/readyz", "HEALTH_PORT");
    assertThat(instructions)
        .as("COPY target/switchboard.jar")
        .anyMatch(i -> i.matches("COPY\\s+target/switchboard\\.jar\\s+.*"));
    assertThat(instructions)
        .as("ENTRYPOINT [\"java\", ..., \"-jar\", ...]")
        .anyMatch(
            i -> i.startsWith("ENTRYPOINT ") && i.contains("\"java\"") && i.contains("\"-jar\""));
    assertThat(instructions)
        .as("EXPOSE 3002 8080")
        .anyMatch(i -> i.startsWith("EXPOSE ") && i.contains("3002") && i.contains("8080"));
    assertThat(instructions)
        .as("ENV PORT=3002 HEALTH_PORT=8080")
        .anyMatch(
            i -> i.startsWith("ENV ") && i.contains("PORT=3002") && i.contains("HEALTH_PORT=8080"));

    List<String> ignored =
        Files.readAllLines(DOCKER.resolve("Dockerfile.dockerignore")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ignored)
        .as("Dockerfile.dockerignore sends only the jar from the repository root")
        .containsExactly("*", "!target/switchboard.jar");
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
  private static List<String> dockerfile() throws IOException {
    String joined =
        Files.readAllLines(DOCKER.resolve("Dockerfile")).stream()
            .filter(l -> !l.strip().startsWith("#"))
            .collect(Collectors.joining("\n"))
            .replaceAll("\\\\\n\\s*", " ");
    return joined.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  private static long dockerfileUser() {
    try {
      List<String> users = dockerfile().stream().filter(i -> i.startsWith("USER ")).toList();
      assertThat(users).as("the Dockerfile sets USER").isNotEmpty();
      String user = users.get(users.size() - 1).substring(5).strip().split(":")[0];
      assertThat(user)
          .as("USER is a numeric uid (runAsNonRoot can only verify those)")
          .matches("\\d+");
      return Long.parseLong(user);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Grafana

  /** Gauges announced for Redis scale-out; the dashboard shows them before the server has them. */
  private static final Set<String> ANNOUNCED_GAUGES =
      Set.of(
          MetricNames.REDIS_UP, MetricNames.CIRCUIT_BREAKER_OPEN, MetricNames.RATE_LIMIT_FAIL_OPEN);

  /** The series names Payara exports for MetricNames (timers become summaries in seconds). */
  private static Set<String> exportedSeries() {
    Set<String> series = new TreeSet<>(ANNOUNCED_GAUGES);
    // The histograms at /prometheus: cumulative buckets, count and sum, no quantiles.
    for (String histogram :
        List.of(
            MetricNames.FANOUT_LATENCY,
            MetricNames.JOIN_LATENCY,
            MetricNames.CROSS_RELAY_LATENCY,
            MetricNames.REDIS_COMMAND_LATENCY)) {
      for (String suffix : List.of("_bucket", "_count", "_sum")) {
        series.add(histogram + "_seconds" + suffix);
      }
    }
    series.addAll(
        List.of(
            MetricNames.ACTIVE_CONNECTIONS,
            MetricNames.LOCAL_ROOMS,
            MetricNames.MESSAGES_FORWARDED,
            MetricNames.SCHEMA_REJECTIONS,
            MetricNames.BACKPRESSURE_CLOSES,
            MetricNames.MESSAGES_RECEIVED,
            MetricNames.CLOSES,
            MetricNames.RATE_LIMIT_DROPS,
            MetricNames.BUS_FRAMES,
            MetricNames.BUS_DISCARDS,
            MetricNames.BUS_MISSING));
    return series;
  }

  @Test
  void grafanaDashboardQueriesOnlyExportedMetrics() throws IOException {
    JsonNode dashboard = JSON.readTree(DOCKER.resolve("grafana-dashboard.json").toFile());
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("schemaVersion").asInt()).isPositive();
    Set<String> variables = new HashSet<>();
    dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));

    List<JsonNode> panels = new ArrayList<>();
    collectPanels(dashboard.path("panels"), panels);
    assertThat(panels).as("panels").isNotEmpty();
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels) {
      String title = panel.path("title").asText();
      assertThat(ids.add(panel.path("id").asInt())).as("panel id of %s is unique", title).isTrue();
      assertThat(panel.path("gridPos").path("w").asInt()).as("%s gridPos", title).isBetween(1, 24);
      if (!panel.path("type").asText().equals("row")) {
        assertThat(panel.path("targets").size()).as("%s has queries", title).isPositive();
      }
      for (String uid : panel.findValuesAsText("uid")) {
        Matcher variable = Pattern.compile("^\\$\\{?(\\w+)}?$").matcher(uid);
        if (variable.matches()) {
          assertThat(variables)
              .as("%s uses the variable %s", title, uid)
              .contains(variable.group(1));
        }
      }
    }

    Result result =
        run(
            List.of(
                node(),
                TOOLS.resolve("check.mjs").toString(),
                "promql",
                DOCKER.resolve("grafana-dashboard.json").toString()));
    List<Map<String, Object>> queries;
    try {
      queries = JSON.readValue(result.stdout(), new TypeReference<>() {});
    } catch (IOException e) {
      throw new AssertionError("docker/.tools/check.mjs promql failed:\n" + result.output(), e);
    }
    assertThat(
            queries.stream()
                .filter(q -> q.get("error") != null)
                .map(q -> q.get("panel") + ": " + q.get("expr") + ": " + q.get("error")))
        .as("PromQL syntax errors")
        .isEmpty();
    assertThat(result.exit()).as("docker/.tools/check.mjs promql:%n%s", result.output()).isZero();
    assertThat(queries).as("queries").isNotEmpty();
    Set<String> used = new TreeSet<>();
    for (Map<String, Object> query : queries) {
      @SuppressWarnings("unchecked")
      List<String> metrics = (List<String>) query.get("metrics");
      assertThat(metrics)
          .as("%s: %s selects a metric", query.get("panel"), query.get("expr"))
          .isNotEmpty();
      assertThat(exportedSeries())
          .as("%s: %s", query.get("panel"), query.get("expr"))
          .containsAll(metrics);
      used.addAll(metrics);
      Matcher variable = Pattern.compile("\\$\\{?(\\w+)").matcher((String) query.get("expr"));
      while (variable.find()) {
        if (!variable.group(1).startsWith("__")) { // Grafana's own, such as $__rate_interval
          assertThat(variables)
              .as("%s uses $%s", query.get("panel"), variable.group(1))
              .contains(variable.group(1));
        }
      }
    }
    dashboard
        .path("templating")
        .path("list")
        .forEach(
            v -> {
              Matcher labelValues =
                  Pattern.compile("label_values\\((\\w+)\\s*,")
                      .matcher(v.path("definition").asText());
              if (labelValues.find()) {
                assertThat(exportedSeries())
                    .as("variable %s", v.path("name").asText())
                    .contains(labelValues.group(1));
              }
            });

    Set<String> shown =
        used.stream()
            .map(s -> s.replaceAll("_seconds(_bucket|_count|_sum)$", ""))
            .collect(Collectors.toSet());
    assertThat(shown)
        .as("every exported metric has a panel")
        .containsAll(ANNOUNCED_GAUGES)
        .contains(
            MetricNames.ACTIVE_CONNECTIONS,
            MetricNames.LOCAL_ROOMS,
            MetricNames.MESSAGES_FORWARDED,
            MetricNames.SCHEMA_REJECTIONS,
            MetricNames.BACKPRESSURE_CLOSES,
            MetricNames.MESSAGES_RECEIVED,
            MetricNames.CLOSES,
            MetricNames.RATE_LIMIT_DROPS,
            MetricNames.FANOUT_LATENCY,
            MetricNames.JOIN_LATENCY,
            MetricNames.CROSS_RELAY_LATENCY,
            MetricNames.REDIS_COMMAND_LATENCY);
  }

  private static void collectPanels(JsonNode panels, List<JsonNode> into) {
    panels.forEach(
        panel -> {
          into.add(panel);
          collectPanels(panel.path("panels"), into);
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static String withoutComments(String config) {
    return config.replaceAll("(?m)#.*$", "");
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static long drainTimeoutMs(String value) {
    return value == null ? DEFAULT_DRAIN_TIMEOUT_MS : Long.parseLong(value);
  }

  /** A duration as nginx or Compose write it: 15s, 1m30s, 1h, 500ms; a bare number is seconds. */
  static Duration duration(String text) {
    Matcher whole = Pattern.compile("(\\d+(ms|us|h|m|s|d)?)+").matcher(text.strip());
    assertThat(whole.matches()).as("a duration: %s", text).isTrue();
    Duration total = Duration.ZERO;
    Matcher part = Pattern.compile("(\\d+)(ms|us|h|m|s|d)?").matcher(text.strip());
    while (part.find()) {
      long amount = Long.parseLong(part.group(1));
      String unit = part.group(2) == null ? "s" : part.group(2);
      total =
          total.plus(
              switch (unit) {
                case "us" -> Duration.ofNanos(amount * 1000);
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
              });
    }
    return total;
  }

  private static String node() {
    String node = tool("node", "/usr/bin/node");
    assertThat(TOOLS.resolve("node_modules"))
        .as("docker/.tools/node_modules (npm ci --prefix docker/.tools)" + INSTALL_HINT)
        .isDirectory();
    return node;
  }

  /** An installed program's path, or a failure that says how to install it. */
  private static String tool(String name, String usual) {
    if (Files.isExecutable(Path.of(usual))) {
      return usual;
    }
    return onPath(name).orElseGet(() -> fail(name + " is not installed" + INSTALL_HINT));
  }

  private static Optional<String> onPath(String name) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst();
  }

  record Result(int exit, String stdout, String stderr) {
    String output() {
      return stdout + stderr;
    }
  }

  /** Runs a command in the repository root, 60 s at most. */
  static Result run(List<String> command) {
    try {
      Path out = Files.createTempFile("deployment-check", ".out");
      Path err = Files.createTempFile("deployment-check", ".err");
      try {
        Process process =
            new ProcessBuilder(command)
                .directory(ROOT.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          fail(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
