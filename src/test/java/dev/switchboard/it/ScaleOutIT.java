package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Three instances sharing one real Redis: clients of one room on different instances. */
class ScaleOutIT {

  private static final int ROOM_TTL_SECONDS = 60;
  private static final int SEQUENCED = 10_000;
  private static final String BUS_FRAMES = "signaling_bus_frames_total";
  private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+),\"sent\":(\\d+)");

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess b;
  private static ServerProcess c;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("scale-out");
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "scale-out",
            Map.of("REDIS_URL", redis.url(), "ROOM_TTL_SECONDS", String.valueOf(ROOM_TTL_SECONDS)),
            "a",
            "b",
            "c");
    a = started.get(0);
    b = started.get(1);
    c = started.get(2);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, b, c);
    if (redis != null) {
      redis.close();
    }
  }

  /** One member on each of two instances, each known to have seen the other's messages. */
  static Pair across(ServerProcess first, ServerProcess second, String room) {
    TestClient one = TestClient.open(first.room(room));
    TestClient two = TestClient.open(second.room(room));
    Pair.awaitSync(one, two);
    Pair.awaitSync(two, one);
    return new Pair(one, two);
  }

  /**
   * More rooms on one instance than Redisson's default subscription limit (5 channels per
   * connection times 50 connections: 250), which an earlier version hit with a pub/sub channel per
   * room: every room's members join and hear each other; none is refused with 1013.
   */
  @Test
  void holdsMoreRoomsThanRedissonsDefaultSubscriptionLimit() {
    String prefix = SignalingIT.room();
    List<Pair> pairs = new ArrayList<>();
    try {
      for (int i = 0; i < 300; i++) {
        pairs.add(Pair.join(c, prefix + "-" + i));
      }
      for (Pair p : pairs) {
        assertThat(p.first().isClosedYet()).isFalse();
        assertThat(p.second().isClosedYet()).isFalse();
      }
    } finally {
      for (Pair p : pairs) {
        p.first().close();
        p.second().close();
      }
    }
  }

  @Test
  void relaysOfferAnswerAndCandidatesBothWaysAcrossInstances() {
    Pair pair = across(a, b, SignalingIT.room());
    String offer = "{\"type\":\"offer\",\"sdp\":\"v=0 host\"}";
    String answer = "{\"type\":\"answer\",\"sdp\":\"v=0 browser\"}";
    String candidate =
        "{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 2122260223 127.0.0.1 50000"
            + " typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
    pair.first().send(offer);
    assertThat(pair.second().next()).isEqualTo(offer);
    pair.second().send(answer);
    assertThat(pair.first().next()).isEqualTo(answer);
    pair.second().send(candidate);
    assertThat(pair.first().next())
        .contains("\"type\":\"candidate\"", "\"sdpMid\":\"0\"", "\"sdpMLineIndex\":0");
    assertThat(pair.first().poll()).as("never echoed").isNull();
  }

  @Test
  void crossInstanceRelayAndRedisCommandsShowInTheirHistograms() {
    Pair pair = across(a, c, SignalingIT.room());
    double crossOnC = c.metric("signaling_cross_relay_latency_seconds_count");
    double redisOnA = a.metric("signaling_redis_cmd_latency_seconds_count");

    for (int i = 0; i < 5; i++) {
      pair.first().send("{\"type\":\"offer\",\"sdp\":\"v=0 " + i + "\"}");
      assertThat(pair.second().next()).contains("v=0 " + i);
    }

    assertThat(c.metric("signaling_cross_relay_latency_seconds_count")).isEqualTo(crossOnC + 5);
    assertThat(c.metric("signaling_cross_relay_latency_seconds_bucket"))
        .as("every observation lands in a bucket")
        .isPositive();
    // The five publishes at least. Liveness probes (every 250 ms) add more, but whether one falls
    // inside this half-second depends on scheduling: a CI run saw exactly five.
    assertThat(a.metric("signaling_redis_cmd_latency_seconds_count"))
        .isGreaterThanOrEqualTo(redisOnA + 5);
  }

  @Test
  void tellsAMemberOnAnotherInstanceWhenItsPeerLeaves() throws InterruptedException {
    Pair pair = across(a, c, SignalingIT.room());
    pair.second().closeBlocking();
    assertThat(pair.first().next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
  }

  @Test
  void twentyClientsRacingForTwoSeatsOnThreeInstancesExactlyTwoGetIn() {
    String room = SignalingIT.room();
    List<ServerProcess> servers = List.of(a, b, c);
    List<CompletableFuture<TestClient>> racing = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ServerProcess server = servers.get(i % 3);
      racing.add(CompletableFuture.supplyAsync(() -> TestClient.open(server.room(room))));
    }
    List<TestClient> clients = racing.stream().map(CompletableFuture::join).toList();

    await("18 refused")
        .atMost(Duration.ofSeconds(20))
        .until(() -> clients.stream().filter(TestClient::isClosedYet).count() == 18);
    List<TestClient> admitted = clients.stream().filter(t -> !t.isClosedYet()).toList();
    assertThat(admitted).hasSize(2);
    for (TestClient refused : clients) {
      if (refused.isClosedYet()) {
        assertThat(refused.awaitClose())
            .isEqualTo(new TestClient.Closed(1000, "Room is full", true));
      }
    }
    assertThat(redis.callLong("HLEN", "switchboard:room:{" + room + "}:seats")).isEqualTo(2);
    Pair.awaitSync(admitted.get(0), admitted.get(1));
    Pair.awaitSync(admitted.get(1), admitted.get(0));
    System.out.printf("[it] capacity race: 20 clients on 3 instances, %d admitted%n", 2);
  }

  /**
   * Every frame of a flood arrives, in order, and the bus counters agree: what instance a says
   * Redis took, instance b received, with no envelope missing or dropped on either side.
   */
  @Test
  void oneSendersMessagesArriveInOrderOnAnotherInstance() {
    Pair pair = across(a, b, SignalingIT.room());
    // across() may leave sync frames from a still on their way to b. One more, awaited: a's
    // frames reach b in order, so once it is there b has counted every earlier one.
    String fence = java.util.UUID.randomUUID().toString();
    pair.first().send(TestClient.sync(fence));
    await("fence").atMost(Duration.ofSeconds(10)).until(() -> pair.second().synced(fence));
    double publishedByA = a.metric(BUS_FRAMES, "direction=\"published\"");
    double receivedByB = b.metric(BUS_FRAMES, "direction=\"received\"");
    Map<ServerProcess, Double> lossesBefore = Map.of(a, busLosses(a), b, busLosses(b));
    CompletableFuture<Void> sending =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < SEQUENCED; i++) {
                pair.first()
                    .send(
                        "{\"type\":\"control\",\"action\":\"seq\",\"payload\":{\"seq\":"
                            + i
                            + ",\"sent\":"
                            + System.nanoTime()
                            + "}}");
              }
            });
    int outOfOrder = 0;
    long[] latencies = new long[SEQUENCED];
    for (int i = 0; i < SEQUENCED; i++) {
      String message = pair.second().next();
      long now = System.nanoTime();
      Matcher m = SEQ.matcher(message);
      assertThat(m.find()).as(message).isTrue();
      if (Integer.parseInt(m.group(1)) != i) {
        outOfOrder++;
      }
      latencies[i] = now - Long.parseLong(m.group(2));
    }
    sending.join();
    Arrays.sort(latencies);
    System.out.printf(
        "[it] cross-instance order, %d messages sent at once: %d out of order; latency under that"
            + " flood p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        SEQUENCED,
        outOfOrder,
        latencies[SEQUENCED / 2] / 1e6,
        latencies[SEQUENCED * 99 / 100] / 1e6,
        latencies[SEQUENCED - 1] / 1e6);
    assertThat(outOfOrder).isZero();
    // b counts a frame before handing it on, so its count is exact. a counts a publish when
    // Redis answers it, which can come after b delivered the frame: the fence's publish may be
    // counted after publishedByA was read, so a's count is awaited, not matched.
    assertThat(b.metric(BUS_FRAMES, "direction=\"received\"")).isEqualTo(receivedByB + SEQUENCED);
    await("a's publishes counted")
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.metric(BUS_FRAMES, "direction=\"published\"") >= publishedByA + SEQUENCED);
    for (ServerProcess server : List.of(a, b)) {
      assertThat(busLosses(server)).as(server.toString()).isEqualTo(lossesBefore.get(server));
    }
  }

  /**
   * Envelopes missing on arrival, and what the bus dropped that no one got: not {@code duplicate}
   * or {@code superseded}, which were delivered once anyway (a PUBLISH Redisson retried after a
   * slow reply is a duplicate, and a loaded CI machine can cause one).
   */
  private static double busLosses(ServerProcess server) {
    double lost = server.metric("signaling_bus_missing_envelopes_total");
    for (String reason : List.of("publish_failed", "redis_down", "not_listening", "malformed")) {
      lost += server.metric("signaling_bus_discards_total", "reason=\"" + reason + "\"");
    }
    return lost;
  }

  /** Latency at a steady 2,000 messages/s, not a flood: one-way, on one clock (this JVM's). */
  @Test
  void measuresCrossInstanceLatencyAtASteadyRate() throws InterruptedException {
    Pair pair = across(a, b, SignalingIT.room());
    AtomicInteger next = new AtomicInteger();
    ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
    sender.scheduleAtFixedRate(
        () -> {
          for (int k = 0; k < 2 && next.get() < SEQUENCED; k++) {
            pair.first()
                .send(
                    "{\"type\":\"control\",\"action\":\"seq\",\"payload\":{\"seq\":"
                        + next.getAndIncrement()
                        + ",\"sent\":"
                        + System.nanoTime()
                        + "}}");
          }
        },
        0,
        1,
        TimeUnit.MILLISECONDS);
    long[] latencies = new long[SEQUENCED];
    try {
      for (int i = 0; i < SEQUENCED; i++) {
        String message = pair.second().next();
        long now = System.nanoTime();
        Matcher m = SEQ.matcher(message);
        assertThat(m.find()).as(message).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(i);
        latencies[i] = now - Long.parseLong(m.group(2));
      }
    } finally {
      sender.shutdownNow();
    }
    Arrays.sort(latencies);
    System.out.printf(
        "[it] cross-instance latency at 2000 msg/s over %d messages: p50 %.2f ms, p90 %.2f ms,"
            + " p99 %.2f ms, max %.2f ms%n",
        SEQUENCED,
        latencies[SEQUENCED / 2] / 1e6,
        latencies[SEQUENCED * 9 / 10] / 1e6,
        latencies[SEQUENCED * 99 / 100] / 1e6,
        latencies[SEQUENCED - 1] / 1e6);
  }

  @Test
  void aMessageSentTheInstantTheSocketOpensReachesAnotherInstance() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = across(a, b, room);
    TestClient host = pair.first();
    pair.second().closeBlocking();
    assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
    int lost = 0;
    int trials = 100;
    for (int trial = 0; trial < trials; trial++) {
      String offer = "{\"type\":\"offer\",\"sdp\":\"early " + trial + "\"}";
      TestClient browser = TestClient.openSending(b.room(room), offer);
      if (!host.next().equals(offer)) {
        lost++;
      }
      browser.closeBlocking();
      assertThat(host.next()).as("trial %d", trial).isEqualTo("{\"type\":\"peer-disconnected\"}");
    }
    System.out.printf("[it] cross-instance open race: %d trials, %d lost%n", trials, lost);
    assertThat(lost).isZero();
  }

  @Test
  void keepsAnEmptiedRoomsRecordForTheRoomTtl() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = across(a, b, room);
    String record = "switchboard:room:{" + room + "}";
    assertThat(redis.callLong("TTL", record)).as("no TTL while occupied").isEqualTo(-1);
    pair.first().closeBlocking();
    pair.second().closeBlocking();
    await("room emptied")
        .atMost(Duration.ofSeconds(5))
        .until(() -> redis.callLong("EXISTS", "switchboard:room:{" + room + "}:seats") == 0);
    long ttl = redis.callLong("TTL", record);
    assertThat(ttl).isBetween(1L, (long) ROOM_TTL_SECONDS);
    assertThat(redis.callMap("HGETALL", record)).containsKeys("createdAt", "emptiedAt");
  }

  @Test
  void eachInstanceListensToOneChannelOfItsOwnWhateverRoomsItHolds() throws InterruptedException {
    Set<String> expected = new HashSet<>();
    for (String instance : List.of("scale-out-a", "scale-out-b", "scale-out-c")) {
      expected.add("switchboard:bus:{" + instance + ":0}"); // RedisRoomBus.CHANNELS
    }
    List<Pair> pairs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pairs.add(across(a, b, SignalingIT.room()));
    }
    assertThat(channels()).isEqualTo(expected);
    for (String channel : expected) {
      assertThat(subscribers(channel)).as(channel).isEqualTo(1);
    }
    for (Pair pair : pairs) {
      pair.first().closeBlocking();
      pair.second().closeBlocking();
    }
    assertThat(channels()).isEqualTo(expected);
  }

  /** Every channel some client of the test's Redis listens to. */
  private static Set<String> channels() {
    Set<String> channels = new HashSet<>();
    for (Object channel : redis.callList("PUBSUB", "CHANNELS", "*")) {
      channels.add(String.valueOf(channel));
    }
    return channels;
  }

  private static long subscribers(String channel) {
    List<Object> reply = redis.callList("PUBSUB", "NUMSUB", channel);
    return (Long) reply.get(1);
  }

  @Test
  void twoMembersOnOneInstanceNeverGoThroughRedis() {
    Pair pair = Pair.join(a, SignalingIT.room());
    long before = redis.commandCalls("publish");
    for (int i = 0; i < 100; i++) {
      pair.first().send("{\"type\":\"control\",\"action\":\"n\",\"payload\":" + i + "}");
    }
    for (int i = 0; i < 100; i++) {
      assertThat(pair.second().next()).contains("\"payload\":" + i + "}");
    }
    assertThat(redis.commandCalls("publish")).isEqualTo(before);
  }
}
