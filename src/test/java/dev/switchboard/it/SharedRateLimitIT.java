package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The per-address and per-room message limits counted across two instances sharing a real Redis.
 * Each test offers 40 messages against a limit of 30: 20 from each side, which either instance
 * alone would admit, so only a shared count can refuse the last ten.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedRateLimitIT {

  private static final int LIMIT = 30;
  private static final int PER_SENDER = 20;

  /** Offered slower than a Redis round trip, as the limit is accurate at a rate, not in a burst. */
  private static final long PACE_MS = 150;

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess c;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("shared-limits");
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "shared-limits",
            Map.of(
                "REDIS_URL", redis.url(),
                "RATE_LIMIT_IP_MSGS_PER_10S", String.valueOf(LIMIT),
                "RATE_LIMIT_ROOM_MSGS_PER_10S", String.valueOf(LIMIT),
                "CB_OPEN_MS", "2000"),
            "a",
            "c");
    a = started.get(0);
    c = started.get(1);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, c);
    if (redis != null) {
      redis.close();
    }
  }

  private static String message(int i) {
    return "{\"type\":\"control\",\"action\":\"n\",\"payload\":{\"i\":" + i + "}}";
  }

  @Test
  @Order(1)
  void aRoomSpanningTwoInstancesHasOneLimit() throws InterruptedException {
    String room = SignalingIT.room();
    TestClient one = TestClient.openFrom(a.room(room), "127.0.0.21");
    TestClient two = TestClient.openFrom(c.room(room), "127.0.0.22");
    // No sync messages first: they would use up some of the room's limit. Admission is counted
    // from the drop counters, whether or not the peer had joined yet.
    int admitted = offer(one, two, "room_messages");
    assertThat(admitted).isBetween(LIMIT, (int) (LIMIT * 1.1));
  }

  @Test
  @Order(2)
  void anAddressConnectedToTwoInstancesHasOneLimit() throws InterruptedException {
    String from = "127.0.0.23";
    TestClient one = TestClient.openFrom(a.room(SignalingIT.room()), from);
    TestClient two = TestClient.openFrom(c.room(SignalingIT.room()), from);
    int admitted = offer(one, two, "ip_messages");
    assertThat(admitted).isBetween(LIMIT, (int) (LIMIT * 1.1));
  }

  /**
   * While Redis is down the shared limits fail open to each instance's own count, and say so; a
   * room on one instance keeps relaying.
   */
  @Test
  @Order(3)
  void failsOpenToEachInstancesCountWhileRedisIsDown() {
    assertThat(a.metric("signaling_rate_limit_fail_open")).isZero();
    String room = SignalingIT.room();
    TestClient one = TestClient.openFrom(a.room(room), "127.0.0.24");
    TestClient two = TestClient.openFrom(a.room(room), "127.0.0.25");
    Pair.awaitSync(one, two); // seats are claimed in Redis: before it goes
    redis.stop();
    try {
      await("fail-open gauge")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  a.metric("signaling_rate_limit_fail_open") == 1
                      && c.metric("signaling_rate_limit_fail_open") == 1);
      for (int i = 0; i < 5; i++) {
        one.send(message(i));
        assertThat(two.next()).isEqualTo(message(i));
      }
    } finally {
      redis.restart();
    }
    await("shared counting again")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                a.metric("signaling_rate_limit_fail_open") == 0
                    && c.metric("signaling_rate_limit_fail_open") == 0);
  }

  /**
   * {@link #PER_SENDER} messages from each client, paced, alternating; returns how many the two
   * instances admitted together, from their drop counters.
   */
  private int offer(TestClient one, TestClient two, String limit) throws InterruptedException {
    double droppedBefore = drops(a, limit) + drops(c, limit);
    double admittedBefore = admitted(a) + admitted(c);
    AtomicInteger next = new AtomicInteger();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    pacer.scheduleAtFixedRate(
        () -> {
          int i = next.getAndIncrement();
          if (i >= 2 * PER_SENDER) {
            pacer.shutdown();
            return;
          }
          (i % 2 == 0 ? one : two).send(message(i));
        },
        0,
        PACE_MS / 2,
        TimeUnit.MILLISECONDS);
    assertThat(pacer.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    long took = System.nanoTime() - start;
    await("every message admitted or dropped")
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                admitted(a)
                        + admitted(c)
                        - admittedBefore
                        + drops(a, limit)
                        + drops(c, limit)
                        - droppedBefore
                    == 2 * PER_SENDER);
    int admitted = (int) (admitted(a) + admitted(c) - admittedBefore);
    List<String> notices = new ArrayList<>();
    await("a rate-limited notice")
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              for (TestClient client : List.of(one, two)) {
                for (String m = client.poll(); m != null; m = client.poll()) {
                  notices.add(m);
                }
              }
              return notices.stream().anyMatch(m -> m.contains("\"action\":\"rate-limited\""));
            });
    System.out.printf(
        "[it] shared %s limit %d/10 s over 2 instances: offered %d in %d ms, admitted %d%n",
        limit, LIMIT, 2 * PER_SENDER, took / 1_000_000, admitted);
    assertThat(notices)
        .filteredOn(m -> m.contains("\"action\":\"rate-limited\""))
        .isNotEmpty()
        .allMatch(m -> m.contains("\"limit\":\"" + limit + "\""));
    return admitted;
  }

  /** Messages the server accepted: this test sends only {@code control} messages. */
  private static double admitted(ServerProcess server) {
    return server.metric("signaling_messages_received_total", "type=\"control\"");
  }

  private static double drops(ServerProcess server, String limit) {
    return server.metric("signaling_rate_limit_drops_total", "limit=\"" + limit + "\"");
  }
}
