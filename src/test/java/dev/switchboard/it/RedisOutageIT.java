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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis stopped for 20 s during traffic and started again: readiness tells the truth within 2 s
 * (even when Redis dies holding a probe), members on the same instance keep relaying with nothing
 * lost, new joins are refused with 1013, and everything recovers by itself (re-subscribed, live
 * members registered again). A Redis that hangs instead (paused: the connection stays open, nothing
 * answers) costs a join at most the gateway's 2 s bound, not Redisson's own timeouts and retries.
 */
class RedisOutageIT {

  private static final Duration OUTAGE = Duration.ofSeconds(20);
  private static final Pattern SEQ = Pattern.compile("\"payload\":(\\d+)");
  private static final Pattern PROBE_HELD = Pattern.compile("flags=b .* cmd=psetex ");

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess b;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("outage");
    List<ServerProcess> started =
        ServerProcess.startInstances("outage", Map.of("REDIS_URL", redis.url()), "a", "b");
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
  void survivesRedisStoppingForTwentySecondsAndRecoversByItself() throws Exception {
    String localRoom = SignalingIT.room();
    Pair local = Pair.join(a, localRoom);
    Pair cross = ScaleOutIT.across(a, b, SignalingIT.room());

    // A steady 50 messages/s between two members on instance a, all through the outage.
    AtomicInteger sent = new AtomicInteger();
    ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
    sender.scheduleAtFixedRate(
        () ->
            local
                .first()
                .send(
                    "{\"type\":\"control\",\"action\":\"seq\",\"payload\":"
                        + sent.getAndIncrement()
                        + "}"),
        0,
        20,
        TimeUnit.MILLISECONDS);

    // Redis dies at the worst moment for readiness: with each instance's probe waiting for its
    // answer. Redisson does not fail a command whose connection closes under it: the instance has
    // to notice the closed connection itself, or the probe waits out its 2 s bound. Writes are
    // paused first (reads still answer, so the held probes are observable).
    redis.call("CLIENT", "PAUSE", "10000", "WRITE");
    await("a probe from each instance held by Redis")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> PROBE_HELD.matcher(redis.callString("CLIENT", "LIST")).results().count() >= 2);
    redis.stop();
    long stopped = System.nanoTime();
    await("readiness 503")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> a.status("/readyz") == 503);
    Duration notReady = Duration.ofNanos(System.nanoTime() - stopped);

    TestClient refused = TestClient.attempt(a.room(SignalingIT.room()), Map.of(), List.of());
    assertThat(refused.awaitClose())
        .isEqualTo(new TestClient.Closed(1013, "Service unavailable", true));
    await("gauges")
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                a.metric("signaling_redis_up") == 0
                    && a.metric("signaling_circuit_breaker_open") == 1);

    await("outage lasts")
        .atMost(OUTAGE.plusSeconds(5))
        .until(() -> System.nanoTime() - stopped >= OUTAGE.toNanos());
    redis.restart();
    long restarted = System.nanoTime();
    await("readiness 200")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> a.status("/readyz") == 200 && b.status("/readyz") == 200);
    Duration readyAgain = Duration.ofNanos(System.nanoTime() - restarted);

    sender.shutdown();
    assertThat(sender.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    int total = sent.get();
    List<Integer> received = new ArrayList<>();
    try {
      await("every message relayed")
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                for (String m = local.second().poll(); m != null; m = local.second().poll()) {
                  Matcher seq = SEQ.matcher(m);
                  assertThat(seq.find()).as(m).isTrue();
                  received.add(Integer.parseInt(seq.group(1)));
                }
                return received.size() >= total;
              });
    } catch (ConditionTimeoutException e) {
      // counted as lost below
    }
    int lost = total - received.size();
    int outOfOrder = 0;
    for (int i = 0; i < received.size(); i++) {
      if (received.get(i) != i) {
        outOfOrder++;
      }
    }

    // Members on different instances relay again, and the seats of live members were registered
    // again: the local room (two seats, both taken) is still full for a newcomer on b.
    Pair.awaitSync(cross.first(), cross.second());
    Pair.awaitSync(cross.second(), cross.first());
    TestClient latecomer = TestClient.attempt(b.room(localRoom), Map.of(), List.of());
    assertThat(latecomer.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    assertThat(a.metric("signaling_redis_up")).isEqualTo(1);
    assertThat(a.metric("signaling_circuit_breaker_open")).isZero();

    System.out.printf(
        "[it] redis outage: /readyz 503 %d ms after Redis stopped, 200 %d ms after it restarted;"
            + " same-instance messages during %d s: %d sent, %d lost, %d out of order%n",
        notReady.toMillis(), readyAgain.toMillis(), OUTAGE.toSeconds(), total, lost, outOfOrder);
    assertThat(notReady).isLessThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(lost).isZero();
    assertThat(outOfOrder).isZero();
  }

  @Test
  void aJoinWhileRedisHangsIsRefusedWith1013WithinTheCallBound() {
    // Every client's commands wait (the connections stay open): Redisson alone would wait 3 s per
    // attempt and try twice before failing.
    redis.call("CLIENT", "PAUSE", "8000", "ALL");
    long paused = System.nanoTime();
    TestClient.Closed closed;
    Duration took;
    try {
      TestClient refused = TestClient.attempt(a.room(SignalingIT.room()), Map.of(), List.of());
      closed = refused.awaitClose();
      took = Duration.ofNanos(System.nanoTime() - paused);
    } finally {
      // Even if the join was not refused: the other test must not start while Redis is paused or
      // the failed calls keep the breaker open (CB_OPEN_MS, 10 s) and joins are refused.
      await("joins taken again")
          .atMost(Duration.ofSeconds(40))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                Pair.join(a, SignalingIT.room());
                return a.status("/readyz") == 200 && b.status("/readyz") == 200;
              });
    }
    assertThat(closed).isEqualTo(new TestClient.Closed(1013, "Service unavailable", true));
    System.out.printf("[it] redis hanging: join refused with 1013 after %d ms%n", took.toMillis());
    // 2 s for the seat claim's first command, plus the handshake on a busy machine.
    assertThat(took).isLessThan(Duration.ofMillis(4_500));
  }
}
