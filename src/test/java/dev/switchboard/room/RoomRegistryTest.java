package dev.switchboard.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.config.SignalingConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RoomRegistryTest {

  private static final RoomId ROOM = new RoomId("room");
  private static final String PEER_DISCONNECTED = "{\"type\":\"peer-disconnected\"}";

  /** Records what the registry does to one client socket. */
  static class FakeConnection implements Connection {
    final List<String> sent = new CopyOnWriteArrayList<>();
    final List<CloseCause> closes = new CopyOnWriteArrayList<>();
    final AtomicInteger pings = new AtomicInteger();

    @Override
    public void send(String text, Consumer<Throwable> done) {
      sent.add(text);
      done.accept(null);
    }

    @Override
    public void ping() {
      pings.incrementAndGet();
    }

    @Override
    public void close(CloseCause cause) {
      closes.add(cause);
    }
  }

  /** A reader that never keeps up: no send ever completes. */
  static class StalledConnection extends FakeConnection {
    @Override
    public void send(String text, Consumer<Throwable> done) {
      sent.add(text);
    }
  }

  /** A store whose claims complete only when the test says so. */
  static class PendingStore implements RoomStore {
    final List<CompletableFuture<Boolean>> claims = new CopyOnWriteArrayList<>();
    final List<PeerId> released = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> releases = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Boolean> claimSeat(RoomId room, PeerId peer) {
      CompletableFuture<Boolean> claim = new CompletableFuture<>();
      claims.add(claim);
      return claim;
    }

    @Override
    public CompletionStage<Void> releaseSeat(RoomId room, PeerId peer) {
      released.add(peer);
      CompletableFuture<Void> release = new CompletableFuture<>();
      releases.add(release);
      return release;
    }
  }

  private final LocalRoomStore store = new LocalRoomStore(2);
  private final RoomRegistry registry = registry(store, Map.of("ROOM_CAPACITY", "2"));

  private static RoomRegistry registry(RoomStore store, Map<String, String> env) {
    return new RoomRegistry(store, SignalingConfig.from(env::get), Runnable::run);
  }

  @Test
  void relaysToTheOtherMemberAndNeverEchoes() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    Peer pb = registry.open(ROOM, b);

    registry.relay(pa, Frame.of("from-a"));
    registry.relay(pb, Frame.of("from-b"));

    assertThat(b.sent).containsExactly("from-a");
    assertThat(a.sent).containsExactly("from-b");
  }

  @Test
  void doesNotRelayAcrossRooms() {
    FakeConnection a = new FakeConnection();
    FakeConnection other = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(new RoomId("other"), other);

    registry.relay(pa, Frame.of("hello"));

    assertThat(other.sent).isEmpty();
  }

  @Test
  void closesAThirdMemberAsRoomFull() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    FakeConnection c = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(ROOM, b);
    registry.open(ROOM, c);

    registry.relay(pa, Frame.of("after-third"));

    assertThat(c.closes).containsExactly(CloseCause.ROOM_FULL);
    assertThat(c.sent).isEmpty();
    assertThat(b.sent).containsExactly("after-third"); // no peer-disconnected for a rejected join
    assertThat(a.closes).isEmpty();
    assertThat(b.closes).isEmpty();
    assertThat(registry.connectionCount()).isEqualTo(2);
    assertThat(store.seatsTaken(ROOM)).isEqualTo(2);
  }

  @Test
  void leaveTellsTheOthersAndFreesTheSeat() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    FakeConnection c = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    Peer pb = registry.open(ROOM, b);

    registry.leave(pa);

    assertThat(b.sent).containsExactly(PEER_DISCONNECTED);
    assertThat(Frame.PEER_DISCONNECTED.text()).isEqualTo(PEER_DISCONNECTED);
    assertThat(a.sent).isEmpty();
    assertThat(store.seatsTaken(ROOM)).isEqualTo(1);

    Peer pc = registry.open(ROOM, c);
    registry.relay(pb, Frame.of("to-c"));
    registry.relay(pc, Frame.of("to-b"));

    assertThat(c.closes).isEmpty();
    assertThat(c.sent).containsExactly("to-c");
    assertThat(b.sent).containsExactly(PEER_DISCONNECTED, "to-b");
    assertThat(a.sent).isEmpty();
  }

  @Test
  void theOthersHearOfALeaveOnlyOnceItsSeatIsFree() {
    PendingStore pending = new PendingStore();
    RoomRegistry slow = registry(pending, Map.of("ROOM_CAPACITY", "2"));
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = slow.open(ROOM, a);
    Peer pb = slow.open(ROOM, b);
    pending.claims.forEach(claim -> claim.complete(true));

    slow.leave(pa);

    assertThat(pending.released).containsExactly(pa.id());
    assertThat(b.sent).as("the seat is not free yet").isEmpty();
    pending.releases.get(0).complete(null);
    assertThat(b.sent).containsExactly(PEER_DISCONNECTED);
    assertThat(slow.connectionCount()).isEqualTo(1);
    assertThat(pb.isJoined()).isTrue();
  }

  @Test
  void leavingTwiceIsHarmless() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(ROOM, b);

    registry.leave(pa);
    registry.leave(pa);

    assertThat(b.sent).containsExactly(PEER_DISCONNECTED);
    assertThat(registry.connectionCount()).isEqualTo(1);
    assertThat(store.seatsTaken(ROOM)).isEqualTo(1);
  }

  @Test
  void aPeerThatLeftNoLongerRelays() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(ROOM, b);

    registry.leave(pa);
    registry.relay(pa, Frame.of("ghost"));

    assertThat(b.sent).containsExactly(PEER_DISCONNECTED);
  }

  @Test
  void queuesMessagesUntilJoinCompletes() {
    PendingStore pending = new PendingStore();
    RoomRegistry slow = registry(pending, Map.of("ROOM_CAPACITY", "2"));
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = slow.open(ROOM, a);
    pending.claims.get(0).complete(true);
    Peer pb = slow.open(ROOM, b);

    slow.relay(pb, Frame.of("1"));
    slow.relay(pb, Frame.of("2"));
    slow.relay(pa, Frame.of("not-yet-for-b"));
    assertThat(a.sent).isEmpty();
    assertThat(b.sent).isEmpty();

    pending.claims.get(1).complete(true);
    slow.relay(pb, Frame.of("3"));
    slow.relay(pa, Frame.of("for-b"));

    assertThat(a.sent).containsExactly("1", "2", "3");
    assertThat(b.sent).containsExactly("for-b");
  }

  @Test
  void aPeerThatLeavesBeforeItsClaimCompletesGetsItsSeatReleased() {
    PendingStore pending = new PendingStore();
    RoomRegistry slow = registry(pending, Map.of("ROOM_CAPACITY", "2"));
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    slow.open(ROOM, a);
    pending.claims.get(0).complete(true);
    Peer pb = slow.open(ROOM, b);
    slow.relay(pb, Frame.of("held"));

    slow.leave(pb);
    assertThat(pending.released).isEmpty();
    pending.claims.get(1).complete(true);

    assertThat(pending.released).containsExactly(pb.id());
    assertThat(a.sent).isEmpty(); // neither the held frame nor peer-disconnected
    assertThat(slow.connectionCount()).isEqualTo(1);
  }

  @Test
  void aFailedClaimClosesWith1013ServiceUnavailable() {
    PendingStore pending = new PendingStore();
    RoomRegistry slow = registry(pending, Map.of("ROOM_CAPACITY", "2"));
    FakeConnection a = new FakeConnection();
    slow.open(ROOM, a);
    pending.claims.get(0).completeExceptionally(new IllegalStateException("store down"));

    assertThat(a.closes).containsExactly(CloseCause.SERVICE_UNAVAILABLE);
    assertThat(slow.connectionCount()).isZero();
  }

  @Test
  void aJoinFailsAsSoonAsItsClaimOrItsSubscriptionFailsWithoutWaitingForTheOther() {
    CompletableFuture<Boolean> claim = new CompletableFuture<>();
    CompletableFuture<Void> subscribed = new CompletableFuture<>();
    CompletableFuture<Boolean> join = RoomRegistry.joinedOrFailed(claim, subscribed);
    claim.completeExceptionally(new IllegalStateException("claim timed out"));
    assertThat(join).isCompletedExceptionally(); // the subscription is still pending

    CompletableFuture<Boolean> claim2 = new CompletableFuture<>();
    CompletableFuture<Void> subscribed2 = new CompletableFuture<>();
    CompletableFuture<Boolean> join2 = RoomRegistry.joinedOrFailed(claim2, subscribed2);
    subscribed2.completeExceptionally(new IllegalStateException("subscribe failed"));
    assertThat(join2).isCompletedExceptionally(); // the claim is still pending
  }

  @Test
  void aJoinIsAnsweredOnlyOnceItsClaimAndItsSubscriptionAreBothDone() {
    CompletableFuture<Boolean> claim = new CompletableFuture<>();
    CompletableFuture<Void> subscribed = new CompletableFuture<>();
    CompletableFuture<Boolean> join = RoomRegistry.joinedOrFailed(claim, subscribed);

    claim.complete(true);
    assertThat(join).isNotDone();
    subscribed.complete(null);
    assertThat(join).isCompletedWithValue(true);
  }

  @Test
  void refusesAJoinAtOnceWhileTheStoreIsNotReady() {
    PendingStore down =
        new PendingStore() {
          @Override
          public boolean isReady() {
            return false;
          }
        };
    RoomRegistry refusing = registry(down, Map.of("ROOM_CAPACITY", "2"));
    FakeConnection a = new FakeConnection();
    refusing.open(ROOM, a);

    assertThat(a.closes).containsExactly(CloseCause.SERVICE_UNAVAILABLE);
    assertThat(down.claims).as("no claim attempted").isEmpty();
    assertThat(refusing.connectionCount()).isZero();
  }

  @Test
  void closesARecipientThatFallsBehindWithoutAffectingTheSender() {
    RoomRegistry tight =
        registry(store, Map.of("ROOM_CAPACITY", "2", "BACKPRESSURE_CLOSE_THRESHOLD_BYTES", "100"));
    FakeConnection sender = new FakeConnection();
    StalledConnection slowReader = new StalledConnection();
    Peer ps = tight.open(ROOM, sender);
    tight.open(ROOM, slowReader);
    Frame forty = Frame.of("x".repeat(40));

    tight.relay(ps, forty);
    tight.relay(ps, forty);
    assertThat(slowReader.closes).isEmpty();
    tight.relay(ps, forty); // 120 bytes unsent > 100

    assertThat(slowReader.closes).containsExactly(CloseCause.SERVER_OVERLOADED);
    assertThat(slowReader.sent).hasSize(1);
    assertThat(sender.closes).isEmpty();
    assertThat(sender.sent).containsExactly(PEER_DISCONNECTED);
    assertThat(tight.connectionCount()).isEqualTo(1);
    assertThat(store.seatsTaken(ROOM)).isEqualTo(1);

    tight.relay(ps, forty); // the sender keeps going, alone
    assertThat(sender.closes).isEmpty();
  }

  /**
   * Two members that each fall behind while sending to the other: each sender's delivery closes the
   * other. Runs both relays at once and fails if they deadlock.
   */
  @Test
  void mutualBackpressureClosesDoNotDeadlock() throws Exception {
    RoomRegistry tight =
        registry(
            new LocalRoomStore(4),
            Map.of("ROOM_CAPACITY", "4", "BACKPRESSURE_CLOSE_THRESHOLD_BYTES", "100"));
    CyclicBarrier bothDelivering = new CyclicBarrier(2);
    // C and D join first, so each relay reaches one of them (whose send meets the other relay at
    // the barrier) before it reaches the other sender.
    StalledConnection c = new MeetingConnection(bothDelivering);
    StalledConnection d = new MeetingConnection(bothDelivering);
    StalledConnection a = new StalledConnection();
    StalledConnection b = new StalledConnection();
    tight.open(ROOM, c);
    tight.open(ROOM, d);
    Peer pa = tight.open(ROOM, a);
    Peer pb = tight.open(ROOM, b);
    Frame forty = Frame.of("x".repeat(40));
    // A and B are 80 bytes behind: one more frame to either is over the threshold.
    tight.reply(pa, forty);
    tight.reply(pa, forty);
    tight.reply(pb, forty);
    tight.reply(pb, forty);

    CountDownLatch finished = new CountDownLatch(2);
    for (Peer sender : List.of(pa, pb)) {
      Thread t =
          new Thread(
              () -> {
                tight.relay(sender, forty);
                finished.countDown();
              },
              "relay-from-" + sender.id());
      t.setDaemon(true);
      t.start();
    }

    ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> finished.getCount() == 0 || threadBean.findDeadlockedThreads() != null);
    long[] deadlocked = threadBean.findDeadlockedThreads();
    assertThat(deadlocked)
        .as(
            () ->
                "deadlocked threads:\n"
                    + Arrays.stream(threadBean.getThreadInfo(deadlocked, true, true))
                        .map(String::valueOf)
                        .collect(Collectors.joining("\n")))
        .isNull();
    assertThat(finished.getCount()).as("relays still running").isZero();
    // Both fell behind; a repeated close of a peer that already left is harmless.
    assertThat(a.closes).isNotEmpty().containsOnly(CloseCause.SERVER_OVERLOADED);
    assertThat(b.closes).isNotEmpty().containsOnly(CloseCause.SERVER_OVERLOADED);
  }

  /** A stalled reader whose first send waits until another relay is delivering too. */
  static final class MeetingConnection extends StalledConnection {
    private final CyclicBarrier barrier;

    MeetingConnection(CyclicBarrier barrier) {
      this.barrier = barrier;
    }

    @Override
    public void send(String text, Consumer<Throwable> done) {
      super.send(text, done);
      if (sent.size() == 1) {
        try {
          barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /**
   * The heartbeat's ping takes its turn behind a frame still being written (a container may refuse
   * a ping during a write), and a reader that never takes that frame is still dropped.
   */
  @Test
  void heartbeatPingsWaitForAFrameBeingWritten() {
    FakeConnection a = new FakeConnection();
    StalledConnection b = new StalledConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(ROOM, b);
    registry.relay(pa, Frame.of("{\"type\":\"offer\",\"sdp\":\"v=0\"}"));
    assertThat(b.sent).hasSize(1);

    registry.heartbeat();
    assertThat(a.pings).hasValue(1);
    assertThat(b.pings).as("queued behind the frame in flight").hasValue(0);

    registry.pongReceived(pa);
    registry.heartbeat();
    assertThat(b.closes).containsExactly(CloseCause.HEARTBEAT_TIMEOUT);
    assertThat(a.closes).isEmpty();
  }

  @Test
  void heartbeatDropsPeersThatMissedTheirPong() {
    FakeConnection a = new FakeConnection();
    FakeConnection b = new FakeConnection();
    Peer pa = registry.open(ROOM, a);
    registry.open(ROOM, b);

    registry.heartbeat();
    assertThat(a.pings).hasValue(1);
    assertThat(b.pings).hasValue(1);
    assertThat(a.closes).isEmpty();
    assertThat(b.closes).isEmpty();

    registry.pongReceived(pa);
    registry.heartbeat();

    assertThat(b.closes).containsExactly(CloseCause.HEARTBEAT_TIMEOUT);
    assertThat(b.pings).hasValue(1);
    assertThat(a.closes).isEmpty();
    assertThat(a.pings).hasValue(2);
    assertThat(a.sent).containsExactly(PEER_DISCONNECTED);
    assertThat(registry.connectionCount()).isEqualTo(1);

    registry.pongReceived(pa);
    registry.heartbeat();
    assertThat(a.closes).isEmpty();
    assertThat(a.pings).hasValue(3);

    registry.heartbeat(); // no pong this time
    assertThat(a.closes).containsExactly(CloseCause.HEARTBEAT_TIMEOUT);
    assertThat(registry.connectionCount()).isZero();
    assertThat(registry.roomCount()).isZero();
  }

  @Test
  void countsConnectionsAndRoomsAndForgetsEmptiedRooms() {
    assertThat(registry.connectionCount()).isZero();
    assertThat(registry.roomCount()).isZero();

    Peer a = registry.open(ROOM, new FakeConnection());
    assertThat(registry.connectionCount()).isEqualTo(1);
    assertThat(registry.roomCount()).isEqualTo(1);

    Peer other = registry.open(new RoomId("other"), new FakeConnection());
    Peer b = registry.open(ROOM, new FakeConnection());
    assertThat(registry.connectionCount()).isEqualTo(3);
    assertThat(registry.roomCount()).isEqualTo(2);
    assertThat(registry.peers()).containsExactlyInAnyOrder(a, b, other);

    registry.leave(a);
    assertThat(registry.connectionCount()).isEqualTo(2);
    assertThat(registry.roomCount()).isEqualTo(2);

    registry.leave(b);
    assertThat(registry.connectionCount()).isEqualTo(1);
    assertThat(registry.roomCount()).isEqualTo(1);
    assertThat(store.seatsTaken(ROOM)).isZero();

    registry.leave(other);
    assertThat(registry.connectionCount()).isZero();
    assertThat(registry.roomCount()).isZero();
  }
}
