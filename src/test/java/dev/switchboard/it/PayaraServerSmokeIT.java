package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.management.JMException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same {@code ROOT.war} on full Payara Server ({@code fish.payara.distributions:payara}, which
 * {@code mvn verify} unpacks into {@code target/payara-server}), deployed with {@code asadmin
 * deploy} into a domain of its own, configured as the README's "Payara Server" section says: two
 * real clients relay an offer, {@code /readyz} and {@code /metrics} answer, the registry MBean
 * answers through the domain's JMX connector, and the application undeploys. {@code
 * -DskipPayaraServer=true} skips it (and the unpacking), saying so.
 *
 * <p>Settings reach the application as system properties ({@code create-system-properties}) and as
 * environment variables of {@code start-domain}. The domain's {@code HEALTH_PORT} is set to its own
 * HTTP port, as on a default domain, whose HTTP listener is on 8080, {@code HEALTH_PORT}'s default:
 * there the port must still serve everything, not only the health paths as the uber-jar's health
 * listener does.
 *
 * <p>{@code -DpayaraServer.runs=3} measures start-to-ready ({@code start-domain} plus {@code
 * deploy} until {@code /readyz} answers 200) three times; CI runs it once.
 */
class PayaraServerSmokeIT {

  private static final String APP = "switchboard";
  private static final String DOMAIN = "switchboard-smoke";

  /** Passed as an environment variable to start-domain: the domain's JVM inherits it. */
  private static final String NODE_ENV = "payara-server-smoke";

  private static final String REGISTRY_MBEAN = "dev.switchboard:type=Registry";
  private static final String HTTP_LISTENER =
      "configs.config.server-config.network-config.network-listeners.network-listener"
          + ".http-listener-1";
  private static final String HTTP_PROTOCOL =
      "configs.config.server-config.network-config.protocols.protocol.http-listener-1.http";

  private static PayaraServerDomain domain;
  private static boolean deployed;

  @BeforeAll
  static void deployOnPayaraServer() {
    if (Boolean.getBoolean("skipPayaraServer")) {
      String reason = "skipped: -DskipPayaraServer=true (Payara Server was not unpacked)";
      System.out.println("[it] PayaraServerSmokeIT " + reason);
      Assumptions.abort(reason);
    }
    Path home = Path.of(System.getProperty("payara.server.home", "target/payara-server/payara6"));
    assertThat(home.resolve("bin").resolve("asadmin"))
        .as(
            "Payara Server, unpacked by `mvn verify` (maven-dependency-plugin unpack-payara-server)")
        .isExecutable();
    Path war = Path.of(System.getProperty("switchboard.war", "target/ROOT.war"));
    assertThat(war).as("the WAR that `mvn package` builds").isRegularFile();

    long created = System.nanoTime();
    domain =
        PayaraServerDomain.create(
            home,
            Path.of("target", "payara-server", "domains"),
            DOMAIN,
            Path.of("target", "it-logs", "payara-server-asadmin.log"));
    System.out.printf(
        "[it] payara server: domain created in %d ms (port base %d: admin %d, http %d; asadmin"
            + " transcript %s)%n",
        millisSince(created),
        domain.portBase(),
        domain.adminPort(),
        domain.httpPort(),
        domain.transcript());

    int runs = Integer.getInteger("payaraServer.runs", 1);
    List<Long> startToReady = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      if (run > 1) {
        domain.remote(Duration.ofMinutes(2), "undeploy", APP);
        deployed = false;
        domain.stop();
      }
      long started = System.nanoTime();
      domain.start(Map.of("NODE_ENV", NODE_ENV));
      long startMillis = millisSince(started);
      if (run == 1) {
        long configured = System.nanoTime();
        configure();
        // The listener applies the new address by restarting itself in the background; a deploy
        // that raced that restart once left it unbound ("GrizzlyProxy is NULL" in the server log,
        // connection refused for two minutes). A domain restart applies it deterministically.
        domain.stop();
        long restarted = System.nanoTime();
        domain.start(Map.of("NODE_ENV", NODE_ENV));
        startMillis = millisSince(restarted); // start-to-ready counts the configured domain's start
        System.out.printf(
            "[it] payara server: domain configured and restarted in %d ms%n",
            millisSince(configured));
      }
      long deploying = System.nanoTime();
      domain.remote(
          Duration.ofMinutes(5),
          "deploy",
          "--contextroot",
          "/",
          "--name",
          APP,
          war.toAbsolutePath().toString());
      deployed = true;
      awaitReady();
      long deployMillis = millisSince(deploying);
      startToReady.add(startMillis + deployMillis);
      System.out.printf(
          "[it] payara server: start-to-ready %d ms (start-domain %d ms + deploy until /readyz 200"
              + " %d ms), run %d of %d%n",
          startMillis + deployMillis, startMillis, deployMillis, run, runs);
    }
    if (runs > 1) {
      List<Long> sorted = startToReady.stream().sorted().toList();
      System.out.printf(
          "[it] payara server: start-to-ready over %d runs %s ms, median %d ms%n",
          runs, startToReady, sorted.get(sorted.size() / 2));
    }
  }

  /**
   * What the uber-jar's boot command files do that matters on a full server: HTTP/2 off on the
   * listener (Grizzly's h2c deadlocked its workers, see payara/pre-boot-commands.asadmin),
   * Grizzly's own WebSocket add-on off as the README advises (JSR-356 endpoints do not need it:
   * this test's relay shows it), and configuration as system properties, which MicroProfile Config
   * reads like environment variables. The listener also stays on loopback, as every test server
   * here.
   */
  private static void configure() {
    domain.remote(
        Duration.ofMinutes(2),
        "set",
        HTTP_PROTOCOL + ".http2-enabled=false",
        HTTP_PROTOCOL + ".websockets-support-enabled=false",
        HTTP_LISTENER + ".address=127.0.0.1");
    domain.remote(
        Duration.ofMinutes(2), "create-system-properties", "HEALTH_PORT=" + domain.httpPort());
  }

  private static void awaitReady() {
    await("switchboard ready on Payara Server (log: " + domain.serverLog() + ")")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .failFast("the application failed to deploy", PayaraServerSmokeIT::deploymentFailed)
        .until(() -> get("/readyz").statusCode() == 200);
  }

  private static boolean deploymentFailed() {
    try {
      return Files.readString(domain.serverLog()).contains("Exception while loading the app");
    } catch (IOException e) {
      return false;
    }
  }

  @AfterAll
  static void undeployAndStop() {
    if (domain == null) {
      return;
    }
    try {
      if (deployed) {
        domain.remote(Duration.ofMinutes(2), "undeploy", APP);
        deployed = false;
        // The listener stays; the application, and so its readiness, is gone.
        assertThat(get("/readyz").statusCode()).isEqualTo(404);
      }
    } finally {
      long stopping = System.nanoTime();
      domain.stop();
      System.out.printf("[it] payara server: domain stopped in %d ms%n", millisSince(stopping));
    }
  }

  @Test
  void twoClientsInOneRoomRelayAnOfferAndAnAnswer() throws InterruptedException {
    String room = SignalingIT.room();
    TestClient host = TestClient.open(ws("/?roomId=" + room));
    TestClient browser = TestClient.open(ws("/?roomId=" + room));
    try {
      Pair.awaitSync(host, browser);
      browser.send("{\"type\":\"offer\",\"sdp\":\"v=0 offer\",\"extra\":1}");
      assertThat(host.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v=0 offer\"}");
      host.send("{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}");
      assertThat(browser.next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}");
    } finally {
      host.closeBlocking();
      browser.closeBlocking();
    }
  }

  @Test
  void healthAndReadinessAnswerOnTheServersOwnHttpPort() {
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready");
    assertThat(get("/healthz").body()).isEqualTo("ok");
    assertThat(get("/health/ready").body()).contains("\"status\":\"UP\"", "switchboard-rooms");
    // HEALTH_PORT names this very port, yet it is no health-only port: the demo page is served.
    assertThat(get("/demo/").statusCode()).isEqualTo(200);
    String effective =
        PayaraServerDomain.tail(domain.serverLog(), 400)
            .lines()
            .filter(line -> line.contains("Effective configuration: "))
            .reduce((first, last) -> last)
            .orElseThrow(() -> new AssertionError("no effective configuration logged"));
    assertThat(effective)
        .as("a system property and start-domain's environment reach the configuration")
        .contains("HEALTH_PORT=" + domain.httpPort(), "NODE_ENV=" + NODE_ENV);
  }

  @Test
  void metricsAnswerUnderTheApplicationsNames() throws InterruptedException {
    String before = get("/metrics?scope=application").body();
    assertThat(before)
        .contains(
            "# TYPE signaling_active_connections gauge",
            "# TYPE signaling_local_rooms gauge",
            "# TYPE signaling_messages_forwarded_total counter",
            "# TYPE signaling_closes_total counter",
            "# TYPE signaling_fanout_latency_seconds histogram");
    double offers = value(before, "signaling_messages_received_total", "type=\"offer\"");

    String room = SignalingIT.room();
    TestClient a = TestClient.open(ws("/?roomId=" + room));
    TestClient b = TestClient.open(ws("/?roomId=" + room));
    try {
      Pair.awaitSync(a, b);
      a.send("{\"type\":\"offer\",\"sdp\":\"v\"}");
      assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v\"}");
      String during = get("/metrics?scope=application").body();
      assertThat(value(during, "signaling_messages_received_total", "type=\"offer\""))
          .isEqualTo(offers + 1);
      assertThat(value(during, "signaling_active_connections", "")).isGreaterThanOrEqualTo(2);
      assertThat(get("/metrics").statusCode()).isEqualTo(200);
      String prometheus = get("/prometheus").body();
      assertThat(prometheus)
          .contains(
              "# TYPE signaling_fanout_latency_seconds histogram",
              "signaling_fanout_latency_seconds_bucket{le=\"0.001\"}",
              "jvm_memory_used_bytes{area=\"heap\"}")
          .doesNotContain("mp_scope", room);
      assertThat(value(prometheus, "signaling_messages_received_total", "type=\"offer\""))
          .as("the scrape path counts the same events")
          .isEqualTo(offers + 1);
    } finally {
      a.closeBlocking();
      b.closeBlocking();
    }
  }

  @Test
  void registryMBeanAnswersThroughTheDomainsJmxConnector() throws IOException, JMException {
    // RMI hands out stubs for the host name: only follow them where that is loopback.
    String loopbackOnly = loopbackHostName();
    if (loopbackOnly != null) {
      System.out.println("[it] PayaraServerSmokeIT JMX check skipped: " + loopbackOnly);
      Assumptions.abort(loopbackOnly);
    }
    JMXServiceURL url =
        new JMXServiceURL(
            "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + domain.jmxPort() + "/jmxrmi");
    Map<String, Object> credentials = Map.of(JMXConnector.CREDENTIALS, new String[] {"admin", ""});
    try (JMXConnector connector = JMXConnectorFactory.connect(url, credentials)) {
      MBeanServerConnection server = connector.getMBeanServerConnection();
      ObjectName registry = new ObjectName(REGISTRY_MBEAN);
      assertThat(server.getAttribute(registry, "Ready")).isEqualTo(true);
      assertThat(server.getAttribute(registry, "Draining")).isEqualTo(false);
      assertThat(
              Arrays.stream(server.getMBeanInfo(registry).getOperations())
                  .map(MBeanOperationInfo::getName))
          .contains("drain");
    }
  }

  /** Why the JMX check cannot stay on loopback here, or null when it can. */
  private static String loopbackHostName() {
    try {
      InetAddress local = InetAddress.getLocalHost();
      return local.isLoopbackAddress()
          ? null
          : "this host's name resolves to " + local.getHostAddress() + ", not a loopback address";
    } catch (UnknownHostException e) {
      return "this host's name does not resolve: " + e.getMessage();
    }
  }

  /** The value of the one series of {@code name} whose labels contain {@code label}. */
  private static double value(String body, String name, String label) {
    List<String> lines =
        body.lines()
            .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
            .filter(line -> line.substring(0, line.lastIndexOf(' ')).contains(label))
            .toList();
    assertThat(lines).as("series %s with %s", name, label).hasSize(1);
    String line = lines.get(0);
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  private static URI ws(String pathAndQuery) {
    return URI.create("ws://127.0.0.1:" + domain.httpPort() + pathAndQuery);
  }

  private static HttpResponse<String> get(String path) {
    return ServerProcess.get(URI.create("http://127.0.0.1:" + domain.httpPort() + path));
  }

  private static long millisSince(long nanoTime) {
    return Duration.ofNanos(System.nanoTime() - nanoTime).toMillis();
  }
}
