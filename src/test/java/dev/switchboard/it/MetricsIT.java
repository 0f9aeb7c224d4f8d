package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The application metrics at {@code /prometheus} (the scrape path) and {@code
 * /metrics?scope=application} (MicroProfile Metrics): the original server's names, gauges right at
 * every moment (not only after a join), counters moving with traffic, histograms that count every
 * observation in seconds.
 */
class MetricsIT {

  private final ServerProcess server = ServerProcess.standard();

  private double metric(String series) {
    return server.metric(series);
  }

  private double labelled(String name, String label) {
    String body = ServerProcess.get(server.http(PROMETHEUS)).body();
    return body.lines()
        .filter(line -> line.startsWith(name + "{") && line.contains(label))
        .mapToDouble(MetricsIT::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + " with " + label));
  }

  private static final String PROMETHEUS = "/prometheus";

  private static double value(String line) {
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  @Test
  void theScrapePathHasEveryApplicationMetricOnceWithTheJvmsBeside()
      throws IOException, InterruptedException {
    // HTTP/1.1 as Prometheus scrapes: to a request offering an h2c upgrade (HttpClient's default)
    // Payara Micro answers without a Content-Type, on its own /metrics as well.
    HttpResponse<String> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(server.http(PROMETHEUS)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/plain; version=0.0.4");
    String body = response.body();
    assertThat(body)
        .contains(
            "# TYPE signaling_active_connections gauge",
            "# TYPE signaling_local_rooms gauge",
            "# TYPE signaling_redis_up gauge",
            "# TYPE signaling_circuit_breaker_open gauge",
            "# TYPE signaling_rate_limit_fail_open gauge",
            "# TYPE signaling_messages_forwarded_total counter",
            "# TYPE signaling_schema_rejections_total counter",
            "# TYPE signaling_backpressure_closes_total counter",
            "signaling_messages_received_total{type=\"candidate\"}",
            "signaling_closes_total{cause=\"room_full\"}",
            "signaling_rate_limit_drops_total{limit=\"ip_messages\"}",
            "# TYPE signaling_fanout_latency_seconds histogram",
            "signaling_fanout_latency_seconds_bucket{le=\"1.0E-4\"}",
            "# TYPE signaling_join_latency_seconds histogram",
            "# TYPE signaling_cross_relay_latency_seconds histogram",
            "# TYPE signaling_redis_cmd_latency_seconds histogram",
            "jvm_memory_used_bytes{area=\"heap\"}",
            "process_cpu_seconds_total")
        .doesNotContain("mp_scope", "quantile", "room-");
    List<String> series = body.lines().filter(line -> !line.startsWith("#")).toList();
    List<String> names =
        series.stream().map(line -> line.substring(0, line.lastIndexOf(' '))).toList();
    assertThat(names).as("no series twice").doesNotHaveDuplicates();
    assertThat(body.lines().filter(line -> line.startsWith("# TYPE ")).toList())
        .as("one TYPE per family")
        .doesNotHaveDuplicates();
  }

  /**
   * More relays than Payara's timers sample (about 1,028): every one of them must be in the
   * buckets, cumulatively, and the sum must be in seconds. Payara's own export of the same timer
   * fails all three.
   */
  @Test
  void histogramsCountEveryObservationSinceStartInSeconds() {
    Map<String, Double> before = fanoutBuckets();
    int messages = 1_500;
    Pair pair = Pair.join(server, SignalingIT.room());
    for (int i = 0; i < messages; i++) {
      pair.first().send("{\"type\":\"candidate\",\"candidate\":\"c" + i + "\"}");
    }
    for (int i = 0; i < messages; i++) {
      assertThat(pair.second().next()).contains("\"c" + i + "\"");
    }
    Map<String, Double> after = fanoutBuckets();

    List<Double> counts = List.copyOf(after.values());
    for (int i = 1; i < counts.size(); i++) {
      assertThat(counts.get(i))
          .as("buckets are cumulative")
          .isGreaterThanOrEqualTo(counts.get(i - 1));
    }
    double added = after.get("+Inf") - before.get("+Inf");
    assertThat(added).as("every relay observed").isGreaterThanOrEqualTo(messages);
    assertThat(after.get("10.0") - before.get("10.0"))
        .as("each under 10 s, so each in the 10 s bucket: counted since start, not sampled")
        .isEqualTo(added);
    assertThat(metric("signaling_fanout_latency_seconds_count")).isEqualTo(after.get("+Inf"));
    double mean =
        metric("signaling_fanout_latency_seconds_sum")
            / metric("signaling_fanout_latency_seconds_count");
    assertThat(mean).as("mean hand-off time, in seconds").isPositive().isLessThan(1.0);
  }

  /** The fan-out histogram's buckets by upper bound, in the order they are exported. */
  private Map<String, Double> fanoutBuckets() {
    String prefix = "signaling_fanout_latency_seconds_bucket{le=\"";
    Map<String, Double> buckets = new LinkedHashMap<>();
    ServerProcess.get(server.http(PROMETHEUS))
        .body()
        .lines()
        .filter(line -> line.startsWith(prefix))
        .forEach(
            line ->
                buckets.put(
                    line.substring(prefix.length(), line.indexOf('"', prefix.length())),
                    value(line)));
    assertThat(buckets).containsKeys("1.0E-4", "0.001", "10.0", "+Inf");
    return buckets;
  }

  @Test
  void microProfileMetricsHaveTheSameNames() {
    String body = ServerProcess.get(server.http("/metrics?scope=application")).body();
    assertThat(body)
        .contains(
            "# TYPE signaling_active_connections gauge",
            "# TYPE signaling_local_rooms gauge",
            "# TYPE signaling_messages_forwarded_total counter",
            "# TYPE signaling_schema_rejections_total counter",
            "# TYPE signaling_backpressure_closes_total counter",
            "# TYPE signaling_fanout_latency_seconds histogram",
            "signaling_fanout_latency_seconds_bucket{mp_scope=\"application\",le=\"0.001\"}",
            "# TYPE signaling_join_latency_seconds histogram",
            "signaling_join_latency_seconds_bucket{mp_scope=\"application\",le=\"+Inf\"}",
            "# TYPE signaling_cross_relay_latency_seconds histogram",
            "# TYPE signaling_redis_cmd_latency_seconds histogram")
        .doesNotContain("room-");
  }

  @Test
  void gaugesFollowJoinsAndLeavesAtOnce() throws InterruptedException {
    double connections = metric("signaling_active_connections");
    double rooms = metric("signaling_local_rooms");
    Pair pair = Pair.join(server, SignalingIT.room());
    assertThat(metric("signaling_active_connections")).isEqualTo(connections + 2);
    assertThat(metric("signaling_local_rooms")).isEqualTo(rooms + 1);

    pair.first().closeBlocking();
    pair.second().closeBlocking();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(metric("signaling_active_connections")).isEqualTo(connections);
              assertThat(metric("signaling_local_rooms")).isEqualTo(rooms);
            });
  }

  @Test
  void countsRelayedMessagesByTypeRejectionsAndCloses() {
    double forwarded = metric("signaling_messages_forwarded_total");
    double offers = labelled("signaling_messages_received_total", "type=\"offer\"");
    double rejections = metric("signaling_schema_rejections_total");
    double full = labelled("signaling_closes_total", "cause=\"room_full\"");

    String room = SignalingIT.room();
    Pair pair = Pair.join(server, room);
    pair.first().send("{\"type\":\"offer\",\"sdp\":\"v\"}");
    assertThat(pair.second().next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v\"}");
    pair.first().send("not json");
    assertThat(pair.first().next()).contains("invalid-json");
    TestClient third = TestClient.attempt(server.room(room), Map.of(), List.of());
    assertThat(third.awaitClose().reason()).isEqualTo("Room is full");

    // The pair's sync messages are relayed too, so forwarded grows by at least the offer.
    assertThat(metric("signaling_messages_forwarded_total")).isGreaterThan(forwarded);
    assertThat(labelled("signaling_messages_received_total", "type=\"offer\""))
        .isEqualTo(offers + 1);
    assertThat(metric("signaling_schema_rejections_total")).isEqualTo(rejections + 1);
    assertThat(labelled("signaling_closes_total", "cause=\"room_full\"")).isEqualTo(full + 1);
  }
}
