package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the scenarios end to end, briefly, against {@link MiniRelayServer}. */
class ScenarioTest {
  MiniRelayServer server;
  final ByteArrayOutputStream console = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

  @BeforeEach
  void start() throws Exception {
    server = new MiniRelayServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  String url() {
    return "ws://127.0.0.1:" + server.port() + "/";
  }

  String console() {
    return console.toString(StandardCharsets.UTF_8);
  }

  @Test
  void relayDeliversEveryMessageInOrderAndWritesAllOutputs(@TempDir Path dir) throws Exception {
    BenchArgs a =
        BenchArgs.parse(
            "relay",
            "--url",
            url(),
            "--rooms",
            "4",
            "--rate-steps",
            "200,400",
            "--duration",
            "600ms",
            "--warmup",
            "200ms",
            "--drain",
            "1s",
            "--out",
            dir.toString());

    assertThat(Main.run(a, out)).isZero();

    String json = Files.readString(dir.resolve("result.json"));
    assertThat(json)
        .contains("\"step\": 1")
        .contains("\"step\": 2")
        .contains("\"lost\": 0")
        .contains("\"outOfOrder\": 0")
        .contains("\"connectFailures\": 0");
    assertThat(json).doesNotContain("\"received\": 0,");
    assertThat(dir.resolve("result.md")).exists();
    assertThat(dir.resolve("latency.png")).exists();
    assertThat(console()).contains("connected=8").contains("step 2: offered 400 msg/s");
  }

  @Test
  void crossConnectsTheSecondMemberToTheSecondUrl(@TempDir Path dir) throws Exception {
    BenchArgs a =
        BenchArgs.parse(
            "cross",
            "--url",
            url(),
            "--url2",
            "ws://localhost:" + server.port() + "/",
            "--rooms",
            "2",
            "--rate",
            "20",
            "--duration",
            "400ms",
            "--warmup",
            "100ms",
            "--drain",
            "1s",
            "--out",
            dir.toString());

    assertThat(Main.run(a, out)).isZero();

    assertThat(Files.readString(dir.resolve("result.json")))
        .contains("\"url2\"")
        .contains("\"lost\": 0");
  }

  @Test
  void rateLimitedRepliesProduceAClearWarning(@TempDir Path dir) throws Exception {
    server.rateLimitEvery = 5;
    BenchArgs a =
        BenchArgs.parse(
            "relay",
            "--url",
            url(),
            "--rooms",
            "2",
            "--rate",
            "50",
            "--duration",
            "400ms",
            "--warmup",
            "100ms",
            "--drain",
            "200ms",
            "--out",
            dir.toString());

    Main.run(a, out);

    assertThat(console())
        .contains(
            "WARNING: the server answered {\"type\":\"control\",\"action\":\"rate-limited\"}");
    assertThat(Files.readString(dir.resolve("result.md"))).contains("rate-limited replies");
  }

  @Test
  void connectionsOpensAndHoldsEveryClient(@TempDir Path dir) throws Exception {
    BenchArgs a =
        BenchArgs.parse(
            "connections",
            "--url",
            url(),
            "--clients",
            "40",
            "--duration",
            "300ms",
            // The mini server runs in this JVM: its CPU while the clients connect is this
            // process's.
            "--server-pid",
            String.valueOf(ProcessHandle.current().pid()),
            "--out",
            dir.toString());

    Main.run(a, out);

    String json = Files.readString(dir.resolve("result.json"));
    assertThat(json)
        .contains("\"opened\": 40")
        .contains("\"stillConnected\": 40")
        .contains("\"roomsConfirmed\": 20");
    assertThat(number(json, "serverCpuUsPerConnection")).isPositive();
    assertThat(number(json, "connectKernelShare")).isBetween(0.0, 1.0);
    // no /metrics on the mini server
    assertThat(json).contains("server heap unavailable");
  }

  @Test
  void connectionsForceAGcBeforeEachHeapReading(@TempDir Path dir) throws Exception {
    com.sun.net.httpserver.HttpServer metrics = usedHeapMetrics();
    try {
      long fullBefore = ServerGcTest.fullCollections();
      Main.run(connectionsWithHeap(dir, metrics), out);

      String json = Files.readString(dir.resolve("result.json"));
      assertThat(ServerGcTest.fullCollections() - fullBefore)
          .as("one full GC before connecting, one during the hold")
          .isGreaterThanOrEqualTo(2);
      assertThat(json).contains("\"heapAfterForcedGc\": true").doesNotContain("treat it as rough");
      assertThat(number(json, "heapPerConnKiB")).isFinite();
    } finally {
      metrics.stop(0);
    }
  }

  @Test
  void connectionsSayWhenHeapWasReadWithoutAGc(@TempDir Path dir) throws Exception {
    com.sun.net.httpserver.HttpServer metrics = usedHeapMetrics();
    try {
      Main.run(connectionsWithHeap(dir, metrics, "--force-gc", "no"), out);

      String json = Files.readString(dir.resolve("result.json"));
      assertThat(json)
          .contains("\"heapAfterForcedGc\": false")
          .contains("without forcing a GC (--force-gc no): treat it as rough");
      assertThat(number(json, "heapPerConnKiB")).isFinite();
    } finally {
      metrics.stop(0);
    }
  }

  /** A metrics endpoint reporting this JVM's used heap (the mini server runs in it). */
  private static com.sun.net.httpserver.HttpServer usedHeapMetrics() throws java.io.IOException {
    com.sun.net.httpserver.HttpServer http =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(
        "/metrics",
        ex -> {
          long used =
              java.lang.management.ManagementFactory.getMemoryMXBean()
                  .getHeapMemoryUsage()
                  .getUsed();
          byte[] body =
              ("# TYPE memory_usedHeap_bytes gauge\nmemory_usedHeap_bytes " + used + "\n")
                  .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (var os = ex.getResponseBody()) {
            os.write(body);
          }
        });
    http.start();
    return http;
  }

  private BenchArgs connectionsWithHeap(
      Path dir, com.sun.net.httpserver.HttpServer metrics, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "connections",
                "--url",
                url(),
                "--clients",
                "40",
                "--duration",
                "200ms",
                "--server-pid",
                String.valueOf(ProcessHandle.current().pid()),
                "--metrics-url",
                "http://127.0.0.1:" + metrics.getAddress().getPort() + "/metrics",
                "--out",
                dir.toString()));
    args.addAll(List.of(extra));
    return BenchArgs.parse(args.toArray(String[]::new));
  }

  @Test
  void churnRejoinsAndMeasuresJoinLatency(@TempDir Path dir) throws Exception {
    BenchArgs a =
        churn(
            dir,
            // the mini server runs in this JVM: its CPU in the window is this process's
            "--server-pid",
            String.valueOf(ProcessHandle.current().pid()));

    Main.run(a, out);

    String json = Files.readString(dir.resolve("result.json"));
    assertThat(json).contains("\"roomsReadyAtEnd\": 5").doesNotContain("\"joinCount\": 0,");
    assertThat(number(json, "serverCpuUsPerJoin")).isPositive();
    assertThat(number(json, "serverKernelShare")).isBetween(0.0, 1.0);
    assertThat(console()).contains("µs CPU per join");
  }

  @Test
  void connectionsWithASecondUrlPutMemberTwoOfEveryRoomThere(@TempDir Path dir) throws Exception {
    int second = server.addPort();
    BenchArgs a =
        BenchArgs.parse(
            "connections",
            "--url",
            url(),
            "--url2",
            "ws://127.0.0.1:" + second + "/",
            "--clients",
            "40",
            "--duration",
            "200ms",
            "--out",
            dir.toString());

    Main.run(a, out);

    String json = Files.readString(dir.resolve("result.json"));
    assertThat(json).contains("\"roomsConfirmed\": 20").contains("\"stillConnected\": 40");
    assertThat(server.handshakesOn(server.port())).isEqualTo(20);
    assertThat(server.handshakesOn(second)).isEqualTo(20);
  }

  @Test
  void churnWithASecondUrlRejoinsThere(@TempDir Path dir) throws Exception {
    int second = server.addPort();
    BenchArgs a = churn(dir, "--url2", "ws://127.0.0.1:" + second + "/");

    Main.run(a, out);

    String json = Files.readString(dir.resolve("result.json"));
    assertThat(json).contains("\"roomsReadyAtEnd\": 5");
    assertThat(console()).doesNotContain("NaN").doesNotContain("CPU per join"); // no --server-pid
    long joined = (long) number(json, "joinCount");
    assertThat(joined).isPositive();
    // member 1 of each room stays on --url; member 2 and every rejoin go to --url2
    assertThat(server.handshakesOn(server.port())).isEqualTo(5);
    assertThat(server.handshakesOn(second)).isGreaterThanOrEqualTo(5 + joined);
  }

  /** A short churn run of 5 rooms against the mini server, with {@code extra} arguments. */
  private BenchArgs churn(Path dir, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "churn",
                "--url",
                url(),
                "--rooms",
                "5",
                "--join-rate",
                "20",
                "--duration",
                "700ms",
                "--warmup",
                "100ms",
                "--drain",
                "1s",
                "--out",
                dir.toString()));
    args.addAll(List.of(extra));
    return BenchArgs.parse(args.toArray(String[]::new));
  }

  /** A number field of the result JSON (the first one of that name). */
  static double number(String json, String field) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"" + field + "\": ([-0-9.eE]+)").matcher(json);
    assertThat(m.find()).as(field + " in " + json).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
