package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The four limits at their configured rates, on a server of their own. Each test speaks from a
 * loopback address of its own (127.0.0.x), so the per-address limits of one test do not touch
 * another's. Buckets refill continuously (rate / 10 s), so what a burst of duration T may get
 * through is the capacity plus T's refill.
 */
class RateLimitIT {

  private static final int CONNECTIONS = 10;
  private static final int PER_CONNECTION = 20;
  private static final int PER_ADDRESS = 30;
  private static final int PER_ROOM = 35;

  private final ServerProcess server =
      ServerProcess.shared(
          "rate-limits",
          Map.of(
              "RATE_LIMIT_CONN_PER_10S", String.valueOf(CONNECTIONS),
              "RATE_LIMIT_MESSAGES_PER_10S", String.valueOf(PER_CONNECTION),
              "RATE_LIMIT_IP_MSGS_PER_10S", String.valueOf(PER_ADDRESS),
              "RATE_LIMIT_ROOM_MSGS_PER_10S", String.valueOf(PER_ROOM),
              "TRUST_PROXY", "127.0.0.1"));

  private static String message(int i) {
    return "{\"type\":\"control\",\"action\":\"n\",\"payload\":{\"i\":" + i + "}}";
  }

  /** At most the capacity plus what refilled during {@code nanos}, and at least the capacity. */
  private static void assertWithinBucket(int admitted, int capacity, long nanos) {
    long refill = (long) Math.floor(nanos / 1e9 * capacity / 10.0);
    assertThat(admitted).isBetween(capacity, (int) (capacity + refill));
  }

  private List<String> drain(TestClient client, Duration quiet) {
    List<String> got = new ArrayList<>();
    try {
      for (; ; ) {
        got.add(client.next(quiet));
      }
    } catch (AssertionError none) {
      return got; // nothing more within the quiet period
    }
  }

  @Test
  void newConnectionsPerAddressAreRefusedWith429PastTheLimit() {
    String from = "127.0.0.2";
    double refusedBefore = drops("connections");
    long start = System.nanoTime();
    int admitted = 0;
    TestClient refused = null;
    for (int i = 0; i < CONNECTIONS * 2 && refused == null; i++) {
      TestClient c = TestClient.attemptFrom(server.room(SignalingIT.room()), from);
      if (c.isOpen()) {
        admitted++;
        c.close();
      } else {
        refused = c;
      }
    }
    long took = System.nanoTime() - start;

    assertThat(refused).as("a connection was refused").isNotNull();
    assertThat(refused.awaitClose().reason()).contains("429");
    assertWithinBucket(admitted, CONNECTIONS, took);
    assertThat(drops("connections")).isEqualTo(refusedBefore + 1);
    TestClient other = TestClient.openFrom(server.room(SignalingIT.room()), "127.0.0.12");
    assertThat(other.isOpen()).as("another address is not limited").isTrue();
    System.out.printf(
        "[it] connection limit %d/10 s: %d admitted in %d ms, then 429%n",
        CONNECTIONS, admitted, took / 1_000_000);
  }

  /**
   * Connects from {@code local}, claiming {@code forwardedFor}, until a 429: as many get in as the
   * connection limit allows for one client.
   */
  private void assertLimitedAsOneClient(String local, IntFunction<String> forwardedFor) {
    long start = System.nanoTime();
    for (int i = 0; i < CONNECTIONS * 3; i++) {
      TestClient c =
          TestClient.attemptFrom(
              server.room(SignalingIT.room()),
              local,
              Map.of("X-Forwarded-For", forwardedFor.apply(i)));
      if (!c.isOpen()) {
        assertThat(c.awaitClose().reason()).contains("429");
        assertWithinBucket(i, CONNECTIONS, System.nanoTime() - start);
        return;
      }
      c.close();
    }
    throw new AssertionError("no connection was refused");
  }

  @Test
  void behindATrustedProxyTheForwardedAddressIsTheClient() {
    // 127.0.0.1 is the trusted proxy (TRUST_PROXY); each client it forwards has its own limit.
    assertLimitedAsOneClient("127.0.0.1", i -> "203.0.113.10");
    // Another client behind the same proxy, whose own left-hand entry is not believed.
    assertLimitedAsOneClient("127.0.0.1", i -> "198.51.100." + i + ", 203.0.113.11");
  }

  @Test
  void anUntrustedPeerCannotChooseItsAddressWithXForwardedFor() {
    assertLimitedAsOneClient("127.0.0.7", i -> "198.51.100." + i);
  }

  @Test
  void aConnectionPastItsMessageRateIsToldOnceAndTheRestIsDropped() throws InterruptedException {
    String room = SignalingIT.room();
    TestClient sender = TestClient.openFrom(server.room(room), "127.0.0.3");
    TestClient receiver = TestClient.openFrom(server.room(room), "127.0.0.13");
    Pair.awaitSync(sender, receiver); // the receiver's syncs: the sender's bucket stays full
    double dropsBefore = drops("messages");

    // Offered open loop, 10 every 100 ms for 6 s (far past the limit): 20 at once, then 2 per
    // second should get through.
    AtomicInteger next = new AtomicInteger();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    pacer.scheduleAtFixedRate(
        () -> {
          for (int k = 0; k < 10; k++) {
            sender.send(message(next.getAndIncrement()));
          }
        },
        0,
        100,
        TimeUnit.MILLISECONDS);
    pacer.schedule(pacer::shutdown, 6, TimeUnit.SECONDS);
    assertThat(pacer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    long took = System.nanoTime() - start;
    int sent = next.get();
    List<String> relayed = drain(receiver, Duration.ofSeconds(1));
    List<String> notices = drain(sender, Duration.ofMillis(500));

    assertThat(notices)
        .hasSize(1)
        .first()
        .asString()
        .startsWith(
            "{\"type\":\"control\",\"action\":\"rate-limited\",\"payload\":{\"limit\":\"messages\","
                + "\"retryAfterMs\":");
    int admitted = relayed.size();
    double expected = PER_CONNECTION + took / 1e9 * PER_CONNECTION / 10.0;
    assertThat((double) admitted).isBetween(expected * 0.9, expected * 1.1);
    assertThat(drops("messages")).isEqualTo(dropsBefore + sent - admitted);
    System.out.printf(
        "[it] message limit %d/10 s: offered %d in %d ms, relayed %d (bucket allows %.1f)%n",
        PER_CONNECTION, sent, took / 1_000_000, admitted, expected);
  }

  @Test
  void twoConnectionsFromOneAddressShareItsMessageLimit() {
    String from = "127.0.0.4";
    TestClient one = TestClient.openFrom(server.room(SignalingIT.room()), from);
    TestClient two = TestClient.openFrom(server.room(SignalingIT.room()), from);
    double before = drops("ip_messages");

    long start = System.nanoTime();
    for (int i = 0; i < PER_CONNECTION; i++) { // each within its own connection's limit
      one.send(message(i));
      two.send(message(i));
    }
    List<String> notices = drain(one, Duration.ofSeconds(1));
    notices.addAll(drain(two, Duration.ofMillis(200)));
    long took = System.nanoTime() - start;

    int admitted = (int) (2 * PER_CONNECTION - (drops("ip_messages") - before));
    System.out.printf(
        "[it] address limit %d/10 s: 2 connections offered %d in %d ms, %d admitted%n",
        PER_ADDRESS, 2 * PER_CONNECTION, took / 1_000_000, admitted);
    assertWithinBucket(admitted, PER_ADDRESS, took);
    assertThat(notices).isNotEmpty().allMatch(m -> m.contains("\"limit\":\"ip_messages\""));
    assertThat(notices.size()).isLessThanOrEqualTo(2); // once per connection and window
  }

  @Test
  void aRoomsMembersShareItsMessageLimit() {
    String room = SignalingIT.room();
    TestClient one = TestClient.openFrom(server.room(room), "127.0.0.5");
    TestClient two = TestClient.openFrom(server.room(room), "127.0.0.6");
    double before = drops("room_messages");

    long start = System.nanoTime();
    for (int i = 0; i < PER_CONNECTION; i++) { // each within its own connection's limit
      one.send(message(i));
      two.send(message(i));
    }
    List<String> toOne = drain(one, Duration.ofSeconds(1));
    List<String> toTwo = drain(two, Duration.ofMillis(200));
    long took = System.nanoTime() - start;

    int admitted = (int) (2 * PER_CONNECTION - (drops("room_messages") - before));
    System.out.printf(
        "[it] room limit %d/10 s: 2 members offered %d in %d ms, %d admitted%n",
        PER_ROOM, 2 * PER_CONNECTION, took / 1_000_000, admitted);
    assertWithinBucket(admitted, PER_ROOM, took);
    long notices =
        toOne.stream().filter(m -> m.contains("\"limit\":\"room_messages\"")).count()
            + toTwo.stream().filter(m -> m.contains("\"limit\":\"room_messages\"")).count();
    assertThat(notices).isBetween(1L, 2L);
  }

  private double drops(String limit) {
    return server.metric("signaling_rate_limit_drops_total", "limit=\"" + limit + "\"");
  }
}
