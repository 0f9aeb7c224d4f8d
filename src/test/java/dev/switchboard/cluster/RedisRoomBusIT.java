package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.it.RedisServer;
import dev.switchboard.room.Frame;
import dev.switchboard.room.Peer;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomId;
import dev.switchboard.room.TestPeers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RFuture;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisTimeoutException;
import org.redisson.misc.CompletableFutureWrapper;

/**
 * The Redis bus between two instances, without servers around it: a real Redis, two real Redisson
 * clients, and on the sending side publishes that fail the way a saturated Redisson fails them.
 */
class RedisRoomBusIT {

  private static RedisServer redis;
  private static RedissonClient senderClient;
  private static RedissonClient receiverClient;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("bus");
    SignalingConfig config = SignalingConfig.from(Map.of("REDIS_URL", redis.url())::get);
    senderClient = Redisson.create(ClusterProducer.redissonConfig(config));
    receiverClient = Redisson.create(ClusterProducer.redissonConfig(config));
  }

  @AfterAll
  static void stop() {
    for (RedissonClient client : new RedissonClient[] {senderClient, receiverClient}) {
      if (client != null) {
        client.shutdown(0, 2, TimeUnit.SECONDS);
      }
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Counts what a bus reports. */
  private static final class Counts implements RoomEvents {
    final AtomicLong published = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong missing = new AtomicLong();
    final Map<RoomBus.Discard, AtomicLong> discarded =
        new java.util.EnumMap<>(RoomBus.Discard.class);

    Counts() {
      for (RoomBus.Discard d : RoomBus.Discard.values()) {
        discarded.put(d, new AtomicLong());
      }
    }

    @Override
    public void busFrames(RoomBus.Direction direction, int frames) {
      (direction == RoomBus.Direction.PUBLISHED ? published : received).addAndGet(frames);
    }

    @Override
    public void busDiscarded(RoomBus.Discard reason, int count) {
      discarded.get(reason).addAndGet(count);
    }

    @Override
    public void busMissing(long envelopes) {
      missing.addAndGet(envelopes);
    }
  }

  /**
   * {@code client}, except that its topics fail the next {@code failuresLeft} publishes, as
   * Redisson does when its I/O thread could not write a command in time. With {@code executed},
   * each of those publishes first really happens, as when Redis ran a PUBLISH whose reply came too
   * late.
   */
  private static RedissonClient failingPublishes(
      RedissonClient client, AtomicInteger failuresLeft, boolean executed) {
    return (RedissonClient)
        Proxy.newProxyInstance(
            RedissonClient.class.getClassLoader(),
            new Class<?>[] {RedissonClient.class},
            (proxy, method, args) -> {
              Object result = invoke(client, method, args);
              if (!(result instanceof RTopic topic)) {
                return result;
              }
              return Proxy.newProxyInstance(
                  RTopic.class.getClassLoader(),
                  new Class<?>[] {RTopic.class},
                  (p, m, a) -> {
                    if (m.getName().equals("publishAsync") && failuresLeft.getAndDecrement() > 0) {
                      if (executed) {
                        ((RFuture<?>) invoke(topic, m, a)).toCompletableFuture().join();
                      }
                      return new CompletableFutureWrapper<Long>(
                          new RedisTimeoutException(
                              "Command still hasn't been written into connection!"));
                    }
                    return invoke(topic, m, a);
                  });
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * One room across two buses: {@code sender} (its publishes failing as {@code failuresLeft} and
   * {@code executed} say) and {@code receiver}, whose member the sender knows of, and what each
   * counted and the receiver delivered.
   */
  private record Link(
      RoomId room,
      AtomicInteger failuresLeft,
      RedisRoomBus sender,
      Counts senderCounts,
      Peer member,
      RedisRoomBus receiver,
      Counts receiverCounts,
      List<String> delivered) {

    static Link open(String name, boolean executed) {
      return open(name, executed, () -> true, () -> true);
    }

    /**
     * As above, with the sender's liveness probe saying what {@code probeUp} says, and its liveness
     * key certainly alive while {@code keyAlive} says so.
     */
    static Link open(
        String name, boolean executed, BooleanSupplier probeUp, BooleanSupplier keyAlive) {
      RoomId room = new RoomId(name + "-" + System.nanoTime());
      AtomicInteger failuresLeft = new AtomicInteger();
      Counts senderCounts = new Counts();
      Counts receiverCounts = new Counts();
      String suffix = "-" + System.nanoTime();
      RedisRoomBus sender =
          new RedisRoomBus(
              failingPublishes(senderClient, failuresLeft, executed),
              "sender" + suffix,
              false,
              probeUp,
              keyAlive,
              nanos -> {},
              senderCounts,
              1 << 20);
      RedisRoomBus receiver =
          new RedisRoomBus(
              receiverClient,
              "receiver" + suffix,
              false,
              () -> true,
              () -> true,
              nanos -> {},
              receiverCounts,
              1 << 20);
      List<String> delivered = new CopyOnWriteArrayList<>();
      sender.attach((r, frame, sentAt) -> {});
      receiver.attach((r, frame, sentAt) -> delivered.add(frame.text()));
      sender.start();
      receiver.start();
      receiver.open(room);
      receiver.ready(room).toCompletableFuture().join();
      sender.open(room);
      sender.ready(room).toCompletableFuture().join();
      // The sender's claim saw the receiving instance's member in the room's seats.
      sender.claimed(room, Map.of("member-on-receiver", "receiver" + suffix));
      return new Link(
          room,
          failuresLeft,
          sender,
          senderCounts,
          TestPeers.peer(room),
          receiver,
          receiverCounts,
          delivered);
    }

    boolean send(String text) {
      return sender.publish(member, Frame.of(text));
    }

    void close() {
      sender.close(room);
      receiver.close(room);
      sender.stop();
      receiver.stop();
    }
  }

  @Test
  void framesWhosePublishFailsWhileRedisIsUpAreSentAgainInOrderAndDeliveredOnce() {
    Link link = Link.open("bus-retry", false);

    assertThat(link.send("f0")).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);
    link.failuresLeft().set(3); // the next publish fails three times in a row
    for (int i = 1; i <= 50; i++) {
      assertThat(link.send("f" + i)).isTrue();
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                link.delivered().size() >= 51
                    || link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() > 0);

    assertThat(link.delivered())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(0, 50).mapToObj(i -> "f" + i).toList());
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED)).hasValue(0);
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 51);
    assertThat(link.receiverCounts().received).hasValue(51);
    assertThat(link.receiverCounts().missing).hasValue(0);
    link.close();
  }

  @Test
  void framesOfManySendersQueuedWhileABatchIsInFlightLeaveInOnePublishEachSenderInOrder() {
    Link link = Link.open("bus-coalesce", false);
    List<Peer> senders =
        java.util.stream.Stream.generate(() -> TestPeers.peer(link.room())).limit(20).toList();
    long publishedBefore = redis.commandCalls("publish");

    // The first publish fails and is tried again 100 ms later; the rest queue behind it.
    link.failuresLeft().set(1);
    for (int round = 0; round < 5; round++) {
      for (int s = 0; s < senders.size(); s++) {
        assertThat(link.sender().publish(senders.get(s), Frame.of("p" + s + "-" + round))).isTrue();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() >= 100);

    assertThat(link.delivered()).hasSize(100);
    for (int s = 0; s < senders.size(); s++) {
      String prefix = "p" + s + "-";
      assertThat(link.delivered().stream().filter(text -> text.startsWith(prefix)).toList())
          .as("sender %d's frames, in its order", s)
          .containsExactly(prefix + 0, prefix + 1, prefix + 2, prefix + 3, prefix + 4);
    }
    assertThat(redis.commandCalls("publish") - publishedBefore)
        .as("the first frame's batch, then one batch of the 99 that queued meanwhile")
        .isEqualTo(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 100);
    assertThat(link.receiverCounts().received).hasValue(100);
    assertThat(link.receiverCounts().missing).hasValue(0);
    assertThat(link.receiverCounts().discarded.values()).allMatch(count -> count.get() == 0);
    link.close();
  }

  @Test
  void aPublishThatRedisRanButReportedFailedIsDeliveredOnceAndItsRepeatDropped() {
    Link link = Link.open("bus-repeat", true);

    // Redis runs the next publish, and the sender hears of a failure and publishes it again.
    link.failuresLeft().set(1);
    link.send("once");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> link.receiverCounts().discarded.get(RoomBus.Discard.DUPLICATE).get() == 1);
    link.send("next");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() >= 2);

    assertThat(link.delivered()).containsExactly("once", "next");
    assertThat(link.receiverCounts().missing).hasValue(0);
    assertThat(link.senderCounts().published).hasValue(2);
    link.close();
  }

  @Test
  void aPublishThatNeverSucceedsIsCountedAndTheGapIsSeenByTheReceiver() {
    Link link = Link.open("bus-gap", false);

    link.send("before");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);
    link.failuresLeft().set(RedisRoomBus.PUBLISH_ATTEMPTS); // every try of the next publish fails
    link.send("lost");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() == 1);
    link.send("after");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 2);

    assertThat(link.delivered()).containsExactly("before", "after");
    assertThat(link.receiverCounts().missing).as("one envelope never arrived").hasValue(1);
    link.close();
  }

  @Test
  void framesGoOutWhileTheProbeSaysDownButRedisAnswersAndAreDroppedOnceItStopsAnswering() {
    AtomicBoolean probeUp = new AtomicBoolean(true);
    Link link = Link.open("bus-slow-probe", false, probeUp::get, () -> true);
    link.send("f0");
    // The sender has heard Redis's answer (the receiver may get the frame before that).
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);

    // The probe timed out on a busy machine, but Redis still answers publishes.
    probeUp.set(false);
    for (int i = 1; i <= 20; i++) {
      assertThat(link.send("f" + i)).isTrue();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() >= 21);
    assertThat(link.delivered())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(0, 20).mapToObj(i -> "f" + i).toList());
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(0);

    // Now no publish succeeds either: after a while the bus gives up on what it holds and drops
    // new frames. (Each poll sends one more frame: the drop happens when one is sent.)
    link.failuresLeft().set(Integer.MAX_VALUE);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                !link.send("x")
                    || link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN).get() > 0);
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN).get()).isPositive();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() > 0);
    link.failuresLeft().set(0);
    link.close();
  }

  @Test
  void framesAreDroppedWhenTheProbeSaysDownAndTheLivenessKeyMayHaveExpired() {
    AtomicBoolean probeUp = new AtomicBoolean(true);
    AtomicBoolean keyAlive = new AtomicBoolean(true);
    Link link = Link.open("bus-key-expired", false, probeUp::get, keyAlive::get);
    link.send("f0");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 1);

    // Publishes still succeed, but another instance may be freeing this one's seats by now.
    probeUp.set(false);
    keyAlive.set(false);
    assertThat(link.send("late")).isTrue();

    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(1);
    assertThat(link.senderCounts().published).hasValue(1);
    link.close();
  }

  @Test
  void framesAreDroppedAtOnceWhenTheProbeSaysDownAndNoPublishEverSucceeded() {
    Link link = Link.open("bus-down", false, () -> false, () -> true);

    assertThat(link.send("lost")).isTrue();

    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(1);
    assertThat(link.senderCounts().published).hasValue(0);
    link.close();
  }

  /** One instance's bus on {@code client}, listening, with what it counted and delivered. */
  private record Instance(String id, RedisRoomBus bus, Counts counts, List<String> delivered) {

    static Instance start(RedissonClient client, String name) {
      Instance instance = create(client, name);
      instance.bus().start();
      return instance;
    }

    /** Not listening until its bus is started. */
    static Instance create(RedissonClient client, String name) {
      String id = name + "-" + System.nanoTime();
      Counts counts = new Counts();
      RedisRoomBus bus =
          new RedisRoomBus(client, id, false, () -> true, () -> true, nanos -> {}, counts, 1 << 20);
      List<String> delivered = new CopyOnWriteArrayList<>();
      bus.attach((room, frame, sentAt) -> delivered.add(room + " " + frame.text()));
      return new Instance(id, bus, counts, delivered);
    }

    void open(RoomId room) {
      bus.open(room);
      bus.ready(room).toCompletableFuture().join();
    }

    long channelSubscribers(RoomId room) {
      String channel = RedisKeys.channel(id, RedisRoomBus.channel(room));
      return (Long) redis.callList("PUBSUB", "NUMSUB", channel).get(1);
    }
  }

  @Test
  void aFrameGoesOnlyToTheInstanceHoldingTheRoomMateAndNeverBackToItsSender() {
    Instance a = Instance.start(senderClient, "a");
    Instance b = Instance.start(receiverClient, "b");
    Instance bystander = Instance.start(receiverClient, "bystander");
    RoomId room = new RoomId("targeted-" + System.nanoTime());
    b.open(room);
    bystander.open(room); // listening, with the room open, but holding no seat a knows of
    a.open(room);
    assertThat(a.channelSubscribers(room)).as("a listens on its own channel").isEqualTo(1);
    Peer member = TestPeers.peer(room);
    // The claim's snapshot: a's own member and b's.
    a.bus().claimed(room, Map.of(member.id().toString(), a.id(), "mate", b.id()));
    long publishedBefore = redis.commandCalls("publish");
    a.bus().joined(member);

    assertThat(a.bus().publish(member, Frame.of("hello"))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> b.delivered().size() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.counts().published.get() == 1);

    assertThat(b.delivered()).containsExactly(room + " hello");
    assertThat(redis.commandCalls("publish") - publishedBefore)
        .as(
            "two publishes (the join, then the frame), both to b: none to a itself or the bystander")
        .isEqualTo(2);
    assertThat(a.delivered()).isEmpty();
    assertThat(bystander.delivered()).isEmpty();
    assertThat(b.counts().discarded.values()).allMatch(count -> count.get() == 0);
    for (Instance i : List.of(a, b, bystander)) {
      i.bus().stop();
    }
  }

  @Test
  void aMemberReannouncedAfterItsInstanceWasReapedIsPublishedToAgainAndLeavesOnce() {
    Instance a = Instance.start(senderClient, "a");
    Instance b = Instance.start(receiverClient, "b");
    RoomId room = new RoomId("reaped-" + System.nanoTime());
    a.open(room);
    b.open(room);
    Peer onA = TestPeers.peer(room);
    Peer onB = TestPeers.peer(room);
    b.bus().claimed(room, Map.of(onA.id().toString(), a.id(), onB.id().toString(), b.id()));
    long published = redis.commandCalls("publish");
    b.bus().joined(onB); // one publish, to a
    // b reaped a while a was cut off from Redis, and its leave is announced twice (as when the
    // member's own L and the reaper's both get out): one publish each, to b.
    b.bus().announceLeft(room, a.id(), onA.id().toString(), Map.of(onB.id().toString(), b.id()));
    b.bus().announceLeft(room, a.id(), onA.id().toString(), Map.of(onB.id().toString(), b.id()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.commandCalls("publish") >= published + 3);
    // a is back: it claims its member's seat again and announces it to b.
    long beforeJoin = redis.commandCalls("publish");
    a.bus()
        .announceJoined(
            room,
            onA.id().toString(),
            Map.of(onA.id().toString(), a.id(), onB.id().toString(), b.id()));
    await().atMost(Duration.ofSeconds(10)).until(() -> redis.commandCalls("publish") > beforeJoin);
    // A frame from a's member, after those on the same lane: once b has it, it has them too.
    a.bus().claimed(room, Map.of(onB.id().toString(), b.id()));
    a.bus().joined(onA);
    a.bus().publish(onA, Frame.of("a is back"));
    await().atMost(Duration.ofSeconds(10)).until(() -> b.delivered().size() == 2);

    b.bus().publish(onB, Frame.of("welcome back"));
    await().atMost(Duration.ofSeconds(10)).until(() -> a.delivered().size() == 1);

    assertThat(b.delivered())
        .as("one peer-disconnected for the two L, then a's frame")
        .containsExactly(room + " " + Frame.PEER_DISCONNECTED.text(), room + " a is back");
    assertThat(a.delivered()).containsExactly(room + " welcome back");
    a.bus().stop();
    b.bus().stop();
  }

  @Test
  void aPublishNoOneHeardIsTriedAgainUntilTheInstanceListens() {
    Instance a = Instance.start(senderClient, "a");
    Instance late = Instance.create(receiverClient, "late");
    RoomId room = new RoomId("unheard-" + System.nanoTime());
    late.bus().open(room); // its member is seated, but it is not subscribed (yet)
    a.open(room);
    a.bus().claimed(room, Map.of("on-late", late.id()));
    Peer member = TestPeers.peer(room);
    long publishedBefore = redis.commandCalls("publish");

    a.bus().publish(member, Frame.of("early"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.commandCalls("publish") > publishedBefore);
    late.bus().start(); // as Redisson subscribes again after a reconnect
    await().atMost(Duration.ofSeconds(10)).until(() -> late.delivered().size() == 1);

    assertThat(late.delivered()).containsExactly(room + " early");
    assertThat(a.counts().discarded.get(RoomBus.Discard.NOT_LISTENING)).hasValue(0);
    a.bus().stop();
    late.bus().stop();
  }

  @Test
  void aPublishNoOneHearsIsCountedAfterAFewTries() {
    Instance a = Instance.start(senderClient, "a");
    RoomId room = new RoomId("unheard-" + System.nanoTime());
    a.open(room);
    a.bus().claimed(room, Map.of("on-a-dead-instance", "dead-" + System.nanoTime()));
    Peer member = TestPeers.peer(room);

    a.bus().publish(member, Frame.of("to no one"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.counts().discarded.get(RoomBus.Discard.NOT_LISTENING).get() == 1);

    assertThat(a.counts().published).hasValue(0);
    assertThat(a.counts().discarded.get(RoomBus.Discard.PUBLISH_FAILED)).hasValue(0);
    a.bus().stop();
  }

  @Test
  void aLeaveReachesAnInstanceTheLeaverLearnedOfOnlyFromItsRelease() {
    Instance a = Instance.start(senderClient, "a");
    Instance b = Instance.start(receiverClient, "b");
    RoomId room = new RoomId("late-mate-" + System.nanoTime());
    a.open(room);
    Peer leaver = TestPeers.peer(room);
    a.bus().claimed(room, Map.of(leaver.id().toString(), a.id())); // alone when it claimed
    a.bus().joined(leaver);
    // b's member claimed after it and told a (J), but the leave came first: a's release saw b's
    // seat, and that is how the leave reaches b.
    b.open(room);
    b.bus().claimed(room, Map.of(leaver.id().toString(), a.id(), "mate", b.id()));
    a.bus().released(room, leaver.id(), Map.of("mate", b.id()));
    a.bus().close(room);
    a.bus().left(leaver);

    await().atMost(Duration.ofSeconds(10)).until(() -> b.delivered().size() == 1);
    assertThat(b.delivered()).containsExactly(room + " " + Frame.PEER_DISCONNECTED.text());
    a.bus().stop();
    b.bus().stop();
  }

  @Test
  void aClaimsOlderSnapshotDoesNotBringBackAMemberWhoseLeaveArrivedFirst() {
    Instance a = Instance.start(senderClient, "a");
    Instance b = Instance.start(receiverClient, "b");
    RoomId room = new RoomId("stale-" + System.nanoTime());
    a.open(room);
    b.open(room);
    Peer leaver = TestPeers.peer(room);
    b.bus().claimed(room, Map.of(leaver.id().toString(), b.id()));
    b.bus().joined(leaver);
    b.bus().released(room, leaver.id(), Map.of("member-on-a", a.id()));
    b.bus().close(room);
    b.bus().left(leaver);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.delivered().size() == 1);
    // a's own claim read the seats before that leave, but a hears the claim's reply after it.
    a.bus().claimed(room, Map.of("member-on-a", a.id(), leaver.id().toString(), b.id()));

    Peer member = TestPeers.peer(room);
    long publishedBefore = redis.commandCalls("publish");
    a.bus().publish(member, Frame.of("to nobody"));
    // A real mate on b, claimed after: a publishes to it, and only it.
    b.open(room);
    a.bus().claimed(room, Map.of("real-mate", b.id()));
    a.bus().publish(member, Frame.of("to the mate"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> b.delivered().contains(room + " to the mate"));

    assertThat(b.delivered()).containsExactly(room + " to the mate");
    assertThat(redis.commandCalls("publish") - publishedBefore).isEqualTo(1);
    a.bus().stop();
    b.bus().stop();
  }
}
