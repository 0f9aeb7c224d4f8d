package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scale-out basics on Redis 6.2 (embedded-redis's binary), not only on Debian's Redis 7. */
class Redis6IT {

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess b;

  @BeforeAll
  static void start() {
    redis = RedisServer.startRedis6("redis6");
    assertThat(redis.info("server").get("redis_version")).startsWith("6.2");
    List<ServerProcess> started =
        ServerProcess.startInstances("redis6", Map.of("REDIS_URL", redis.url()), "a", "b");
    a = started.get(0);
    b = started.get(1);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, b);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void relaysAcrossInstancesHoldsCapacityAndTellsPeersWhoLeft() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = ScaleOutIT.across(a, b, room);
    pair.first().send("{\"type\":\"offer\",\"sdp\":\"redis 6\"}");
    assertThat(pair.second().next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"redis 6\"}");
    pair.second().send("{\"type\":\"answer\",\"sdp\":\"back\"}");
    assertThat(pair.first().next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"back\"}");

    TestClient third = TestClient.attempt(b.room(room), Map.of(), List.of());
    assertThat(third.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));

    pair.second().closeBlocking();
    assertThat(pair.first().next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
    System.out.printf(
        "[it] redis 6: %s relayed, capacity held%n", redis.info("server").get("redis_version"));
  }
}
