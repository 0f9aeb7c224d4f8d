package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An instance killed without warning (SIGKILL): the survivors free its seats and tell its members'
 * peers within the bound ({@code INSTANCE_TTL_MS} plus a reaper pass; at most 15 s by default),
 * unlike the original, whose rooms stayed full forever.
 */
class InstanceFailureIT {

  private static final Duration BOUND = Duration.ofSeconds(15);

  private static RedisServer redis;
  private static ServerProcess survivor;
  private static ServerProcess victim;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("instance-failure");
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "failure", Map.of("REDIS_URL", redis.url()), "survivor", "victim");
    survivor = started.get(0);
    victim = started.get(1);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(survivor, victim);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void freesTheSeatsOfAKilledInstanceAndTellsThePeersWithinTheBound() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = ScaleOutIT.across(survivor, victim, room);
    TestClient host = pair.first();

    long killed = System.nanoTime();
    victim.kill();
    String message = host.next(BOUND.plusSeconds(5));
    Duration told = Duration.ofNanos(System.nanoTime() - killed);
    assertThat(message).isEqualTo("{\"type\":\"peer-disconnected\"}");
    assertThat(redis.callLong("HLEN", "switchboard:room:{" + room + "}:seats")).isEqualTo(1);

    TestClient newcomer = TestClient.open(survivor.room(room));
    Pair.awaitSync(host, newcomer);
    System.out.printf(
        "[it] instance failure: SIGKILLed instance's seat freed and peer told after %d ms"
            + " (bound %d ms)%n",
        told.toMillis(), BOUND.toMillis());
    assertThat(told).isLessThanOrEqualTo(BOUND);
  }

  /**
   * An instance that comes back under the same {@code INSTANCE_ID} before survivors reaped it (here
   * its liveness TTL outlasts the test) frees the seats its previous run left, as it does for
   * releases that failed while Redis was away: same code path, at registration. Drained, it tells
   * the other instances before it exits.
   */
  @Test
  void anInstanceRestartedUnderTheSameIdFreesTheSeatsItsPreviousRunLeft()
      throws InterruptedException {
    Map<String, String> env =
        Map.of("REDIS_URL", redis.url(), "INSTANCE_ID", "phoenix", "INSTANCE_TTL_MS", "300000");
    ServerProcess phoenix = ServerProcess.start("failure-phoenix", env);
    ServerProcess reborn = null;
    try {
      String room = SignalingIT.room();
      Pair pair = ScaleOutIT.across(survivor, phoenix, room);
      phoenix.kill();
      assertThat(redis.callLong("HLEN", "switchboard:room:{" + room + "}:seats")).isEqualTo(2);

      reborn = ServerProcess.start("failure-phoenix-reborn", env);

      assertThat(pair.first().next(Duration.ofSeconds(10)))
          .isEqualTo("{\"type\":\"peer-disconnected\"}");
      assertThat(redis.callLong("HLEN", "switchboard:room:{" + room + "}:seats")).isEqualTo(1);
      TestClient newcomer = TestClient.open(reborn.room(room));
      Pair.awaitSync(pair.first(), newcomer);

      // A drained instance (SIGTERM) frees its seats and tells the other instances before it
      // exits; its liveness key would outlast this test, so nothing else could.
      reborn.terminate(Duration.ofSeconds(30));
      assertThat(newcomer.awaitClose().code()).isEqualTo(1012);
      assertThat(pair.first().next(Duration.ofSeconds(5)))
          .isEqualTo("{\"type\":\"peer-disconnected\"}");
      assertThat(redis.callLong("HLEN", "switchboard:room:{" + room + "}:seats")).isEqualTo(1);
    } finally {
      ServerProcess.stopAll(phoenix, reborn);
    }
  }
}
