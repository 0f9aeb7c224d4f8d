package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The application metrics at {@code /metrics?scope=application}: the original server's names,
 * gauges right at every moment (not only after a join), counters moving with traffic.
 */
class MetricsIT {

  private final ServerProcess server = ServerProcess.standard();

  private double metric(String series) {
    String body = ServerProcess.get(server.http("/metrics?scope=application")).body();
    return body.lines()
        .filter(line -> line.startsWith(series + " ") || line.startsWith(series + "{"))
        .filter(line -> !line.startsWith("#"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private double labelled(String name, String label) {
    String body = ServerProcess.get(server.http("/metrics?scope=application")).body();
    return body.lines()
        .filter(line -> line.startsWith(name + "{") && line.contains(label))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + " with " + label));
  }

  @Test
  void exposesTheOriginalServersMetricNames() {
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
