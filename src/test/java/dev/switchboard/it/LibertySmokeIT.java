package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The same {@code ROOT.war} on Open Liberty: the {@code liberty} Maven profile installs the runtime
 * and the server ({@code src/main/liberty/config/server.xml}) under {@code target/liberty} and
 * copies the WAR into it; this test starts it with Liberty's own start command, three times to time
 * start-up, and drives the last one with real WebSocket clients and HTTP requests.
 */
class LibertySmokeIT {

  private static final int STARTS = 3;
  private static final String OFFER =
      "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\n"
          + "s=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0\\r\\n\"}";
  private static final String ANSWER = "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\ns=answer\\r\\n\"}";

  private static final Duration HEARTBEAT = Duration.ofSeconds(1);

  private static LibertyServer server;
  private static String skipped;

  @BeforeAll
  static void startLibertyThreeTimes() {
    Path wlp = libertyInstallation();
    if (wlp == null) {
      return;
    }
    // A new server makes its keystore and LTPA keys on its first start (a clean clone in CI).
    boolean fresh =
        !Files.exists(
            wlp.resolve("usr/servers/" + LibertyServer.NAME + "/resources/security/key.p12"));
    List<Long> millis = new ArrayList<>();
    for (int run = 1; run <= STARTS; run++) {
      LibertyServer started = LibertyServer.start(wlp, run);
      millis.add(started.startup.toMillis());
      if (run < STARTS) {
        started.stop();
      } else {
        server = started;
      }
    }
    List<Long> sorted = millis.stream().sorted().toList();
    System.out.printf(
        "[it] liberty: start-to-ready (server run until /readyz 200), %d runs: %s ms, median %d"
            + " ms%s%n",
        STARTS,
        millis,
        sorted.get(STARTS / 2),
        fresh ? " (the first on a new server, which also creates its keystore)" : "");
  }

  /**
   * The installation the liberty profile made, or null (and a printed reason) when the profile was
   * switched off ({@code -DskipLiberty} or {@code -P!liberty}). Run any other way, it fails.
   */
  private static Path libertyInstallation() {
    String profile = System.getProperty("liberty.profile");
    assertThat(profile)
        .as("liberty.profile is set by the Maven build: run this test through `mvn verify`")
        .isIn("on", "off");
    if (profile.equals("off")) {
      skipped = "the liberty Maven profile is off (-DskipLiberty or -P!liberty)";
      System.out.println("[it] LibertySmokeIT skipped: " + skipped);
      return null;
    }
    Path wlp = Path.of(System.getProperty("liberty.install.dir"));
    assertThat(wlp.resolve("bin/server")).as("Liberty's start script").isExecutable();
    assertThat(wlp.resolve("usr/servers/" + LibertyServer.NAME + "/apps/ROOT.war"))
        .as("the WAR deployed by liberty:deploy")
        .isRegularFile();
    return wlp;
  }

  @BeforeEach
  void libertyProfileOn() {
    Assumptions.assumeTrue(skipped == null, skipped);
  }

  @AfterAll
  static void stopLiberty() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void twoClientsInOneRoomRelayAnOfferAndAnAnswer() throws InterruptedException {
    String room = SignalingIT.room();
    // One member on each endpoint path, so both endpoint classes deploy and share rooms.
    TestClient host = TestClient.open(server.ws("/?roomId=" + room));
    TestClient browser = TestClient.open(server.ws("/ws?roomId=" + room));
    try {
      Pair.awaitSync(host, browser);

      host.send(OFFER);
      assertThat(browser.next()).isEqualTo(OFFER);
      browser.send(ANSWER);
      // Had the offer been echoed, the host would have got it before the answer.
      assertThat(host.next()).isEqualTo(ANSWER);
    } finally {
      host.closeBlocking();
      browser.closeBlocking();
    }
  }

  /**
   * Liberty's handshake asks every upgrade request for its HTTP session; the handshake filter's
   * request answers without creating one, so no WebSocket leaves a session (and its cookie) behind.
   */
  @Test
  void anUpgradeCreatesNoHttpSession() {
    SignalingIT.assertUpgradeSetsNoCookie(server.room(SignalingIT.room()));
  }

  /**
   * Heartbeat rounds while the server is always writing to the client: Liberty refuses a ping
   * during a write, and before pings took their turn in the client's outbound queue such a client
   * was closed with 1001 Heartbeat timeout although it answered every ping it got.
   */
  @Test
  void aClientThatIsAlwaysReceivingIsNeverDroppedByTheHeartbeat() throws InterruptedException {
    String room = SignalingIT.room();
    TestClient host = TestClient.open(server.room(room));
    TestClient browser = TestClient.open(server.room(room));
    try {
      Pair.awaitSync(host, browser);
      String offer = "{\"type\":\"offer\",\"sdp\":\"" + "v=0 ".repeat(1_000) + "\"}";
      int window = 32; // 128 KB on its way at any time: the server's writes never pause
      int sent = 0;
      int received = 0;
      long end = System.nanoTime() + HEARTBEAT.multipliedBy(5).toNanos();
      while (System.nanoTime() < end || received < sent) {
        while (sent - received < window && System.nanoTime() < end) {
          host.send(offer);
          sent++;
        }
        String next;
        try {
          next = browser.next();
        } catch (AssertionError none) {
          throw browser.isClosedYet()
              ? new AssertionError("the receiving client was closed: " + browser.awaitClose())
              : none;
        }
        assertThat(next).isEqualTo(offer);
        received++;
      }
      assertThat(browser.pings()).as("heartbeat pings answered").isGreaterThanOrEqualTo(3);
      assertThat(browser.isClosedYet()).as("the receiving client is still connected").isFalse();
      assertThat(host.isClosedYet()).isFalse();
    } finally {
      host.closeBlocking();
      browser.closeBlocking();
    }
  }

  /**
   * A member that stops reading is closed with 1013 once the server holds more than the backlog
   * threshold for it, as on Payara (BackpressureIT): Liberty refuses a ping during a write, but not
   * the close that follows megabytes the reader never took.
   */
  @Test
  void aReaderThatStopsReadingIsClosedWith1013() {
    String room = SignalingIT.room();
    TestClient sender = TestClient.open(server.room(room));
    try (RawWebSocket stalled = RawWebSocket.connect(server.room(room))) {
      assertThat(stalled.upgraded()).as(stalled.statusLine()).isTrue();
      Pair.awaitSyncFromRaw(sender, stalled);
      String chunk = "{\"type\":\"control\",\"action\":\"" + "z".repeat(200_000) + "\"}";
      for (int sent = 0; sent < 400 && !sender.hasMessage(); sent++) {
        sender.send(chunk);
      }
      assertThat(sender.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
      RawWebSocket.Frame close = stalled.readUntil(RawWebSocket.CLOSE);
      assertThat(close).as("a close frame after the backlog").isNotNull();
      assertThat(close.closeCode()).isEqualTo(1013);
      assertThat(close.closeReason()).isEqualTo("Server overloaded");
      assertThat(sender.isClosedYet()).as("the sender is unaffected").isFalse();
    } finally {
      sender.close();
    }
  }

  @Test
  void readyzAndHealthzAnswer() {
    HttpResponse<String> ready = ServerProcess.get(server.http("/readyz"));
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready");
    assertThat(ServerProcess.get(server.http("/healthz")).statusCode()).isEqualTo(200);
    assertThat(ServerProcess.get(server.http("/health/ready")).body())
        .contains("\"switchboard-rooms\"", "\"UP\"");
  }

  @Test
  void metricsAnswerWithTheApplicationsNamesAndLiveGauges() throws InterruptedException {
    HttpResponse<String> all = ServerProcess.get(server.http("/metrics"));
    assertThat(all.statusCode()).as("/metrics without credentials").isEqualTo(200);
    assertThat(all.body())
        .contains("# TYPE signaling_active_connections gauge", "mp_scope=\"base\"");

    String room = SignalingIT.room();
    TestClient a = TestClient.open(server.room(room));
    TestClient b = TestClient.open(server.room(room));
    try {
      Pair.awaitSync(a, b);
      // The scrape path documented for Payara answers the same way on Liberty.
      URI scrape = server.http("/metrics?scope=application");
      String body = ServerProcess.get(scrape).body();
      assertThat(body)
          .contains(
              "# TYPE signaling_active_connections gauge",
              "# TYPE signaling_local_rooms gauge",
              "# TYPE signaling_messages_forwarded_total counter",
              "# TYPE signaling_messages_received_total counter",
              "# TYPE signaling_closes_total counter",
              "# TYPE signaling_fanout_latency_seconds histogram",
              "signaling_fanout_latency_seconds_bucket{mp_scope=\"application\",le=\"0.001\",}",
              "# TYPE signaling_join_latency_seconds histogram",
              "# TYPE signaling_cross_relay_latency_seconds histogram",
              "# TYPE signaling_redis_cmd_latency_seconds histogram")
          .doesNotContain("mp_scope=\"base\"", "mp_scope=\"vendor\"", room);
      // The Prometheus scrape path is the WAR's own, so it answers on Liberty as on Payara.
      String prometheus = ServerProcess.get(server.http("/prometheus")).body();
      assertThat(prometheus)
          .contains(
              "# TYPE signaling_active_connections gauge",
              "# TYPE signaling_messages_received_total counter",
              "signaling_fanout_latency_seconds_bucket{le=\"0.001\"}",
              "signaling_join_latency_seconds_count",
              "jvm_memory_used_bytes{area=\"heap\"}")
          .doesNotContain("mp_scope", room);
      assertThat(
              prometheus
                  .lines()
                  .filter(line -> line.startsWith("signaling_join_latency_seconds_count "))
                  .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                  .sum())
          .as("this pair's joins are in the histogram")
          .isGreaterThanOrEqualTo(2);
      // Exactly this pair once the other test's clients (if it ran first) have left.
      await("live gauges")
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                String now = ServerProcess.get(scrape).body();
                assertThat(value(now, "signaling_active_connections")).isEqualTo(2);
                assertThat(value(now, "signaling_local_rooms")).isEqualTo(1);
              });
    } finally {
      a.closeBlocking();
      b.closeBlocking();
    }
  }

  /** The value of the one series of an unlabelled (but for {@code mp_scope}) metric. */
  private static double value(String body, String name) {
    List<String> series =
        body.lines().filter(line -> line.startsWith(name + "{mp_scope=\"application\"")).toList();
    assertThat(series).as(name).hasSize(1);
    String line = series.get(0);
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  /** {@code bin/server run} as a child process, with a free port passed as {@code PORT}. */
  private static final class LibertyServer {

    static final String NAME = "switchboard";

    private final Process process;
    private final int port;
    private final Duration startup;

    private LibertyServer(Process process, int port, Duration startup) {
      this.process = process;
      this.port = port;
      this.startup = startup;
    }

    static LibertyServer start(Path wlp, int run) {
      int port = ServerProcess.freePort();
      Path log = Path.of("target", "it-logs", "liberty-" + run + ".log");
      ProcessBuilder builder =
          new ProcessBuilder(wlp.resolve("bin/server").toString(), "run", NAME)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder
          .environment()
          .keySet()
          .removeIf(k -> k.equals("REDIS_URL") || k.equals("WLP_USER_DIR"));
      builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
      builder.environment().put("PORT", String.valueOf(port));
      // Heartbeat rounds every second and no message limits: the heartbeat test below sees several
      // rounds in a few seconds of constant traffic.
      builder.environment().put("HEARTBEAT_INTERVAL_MS", String.valueOf(HEARTBEAT.toMillis()));
      builder.environment().put("RATE_LIMIT_MESSAGES_PER_10S", "0");
      builder.environment().put("RATE_LIMIT_IP_MSGS_PER_10S", "0");
      builder.environment().put("RATE_LIMIT_ROOM_MSGS_PER_10S", "0");
      long started = System.nanoTime();
      Process process;
      try {
        Files.createDirectories(log.getParent());
        process = builder.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
      URI readyz = URI.create("http://127.0.0.1:" + port + "/readyz");
      try {
        await("Liberty run " + run + " ready (log: " + log + ")")
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(100))
            .failFast("Liberty exited", () -> !process.isAlive())
            .failFast("the application did not start", () -> appFailed(log))
            .until(() -> ServerProcess.get(readyz).statusCode() == 200);
      } catch (RuntimeException | AssertionError notReady) {
        process.destroyForcibly();
        throw notReady;
      }
      Duration startup = Duration.ofNanos(System.nanoTime() - started);
      System.out.printf(
          "[it] liberty run %d ready on port %d in %d ms%n", run, port, startup.toMillis());
      return new LibertyServer(process, port, startup);
    }

    /** CWWKZ0002E: an exception while starting it; CWWKZ0012I: it was not started at all. */
    private static boolean appFailed(Path log) {
      try {
        String text = Files.readString(log);
        return text.contains("CWWKZ0002E") || text.contains("CWWKZ0012I");
      } catch (IOException e) {
        return false;
      }
    }

    URI ws(String pathAndQuery) {
      return URI.create("ws://127.0.0.1:" + port + pathAndQuery);
    }

    URI room(String roomId) {
      return ws("/?roomId=" + roomId);
    }

    URI http(String path) {
      return URI.create("http://127.0.0.1:" + port + path);
    }

    /** SIGTERM, as a process manager stops it: Liberty shuts down cleanly. */
    void stop() {
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("Liberty did not stop within 60 s of SIGTERM");
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
