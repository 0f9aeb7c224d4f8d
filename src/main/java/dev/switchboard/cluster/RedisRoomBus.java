package dev.switchboard.cluster;

import dev.switchboard.room.Clock;
import dev.switchboard.room.Frame;
import dev.switchboard.room.Peer;
import dev.switchboard.room.PeerId;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomId;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Redis pub/sub channels per instance ({@link #LANES} of them; {@code RShardedTopic} on a Redis
 * Cluster). Each instance listens to its own channels only, and publishes a member's frames to the
 * channel of the room's lane on each instance that holds its room mates: in a room of two on two
 * instances, one publish reaches exactly the one instance that needs it. (An earlier version had a
 * channel per room, which every instance holding a member subscribed to: Redis then sent every
 * publish back to its publisher too, which decoded and dropped it, and every join cost a SUBSCRIBE
 * and every leave an UNSUBSCRIBE.)
 *
 * <p>Which instances hold a room's other members: the seats a claim or release returns (read in the
 * same atomic step, {@link RedisRoomStore.SeatObserver}), then the {@code J} and {@code L}
 * announcements those instances send. Of two members claiming seats on different instances at once,
 * the later claim sees the earlier one, so its instance announces its member to the other's; a
 * release sees every seat claimed before it, so a leave reaches every instance that may know the
 * member.
 *
 * <p>Envelopes are {@code kind \n instance \n room \n peer \n sequence \n payload}: {@code J} a
 * peer joined, {@code L} it left (its room mates get {@code peer-disconnected}), {@code F} one or
 * more frames, one per line, each as {@code publishedAtEpochMicros frame} so that receivers can
 * report the cross-instance relay latency. One sender's envelopes are published one at a time, in
 * order (see {@link Outgoing}), and numbered, so that a receiver drops the repeats Redisson's
 * retries can cause.
 */
final class RedisRoomBus implements RoomBus, RedisRoomStore.SeatObserver {

  private static final Logger LOG = Logger.getLogger(RedisRoomBus.class.getName());

  /**
   * Channels per instance. Redisson hands a channel's messages to its listener one at a time, to
   * keep them in order, so one channel would put every frame this instance receives from the others
   * on one thread: in a two-instance benchmark a freshly started instance, still interpreting that
   * code, fell 9 s behind (p50) in its first 15 s at 2,000 msg/s. A room always takes the same lane
   * ({@link #lane}), so its envelopes stay in order.
   */
  static final int LANES = 8;

  /** Instances whose channel handles are kept before the old ones are dropped. */
  private static final int CHANNEL_HANDLES_LIMIT = 256;

  /**
   * Tries of one publish that reached no subscriber: 1.5 s of back-off between them, long enough
   * for Redisson to subscribe again after a reconnect, short enough that envelopes for a dead
   * instance (until it is reaped) do not hold up the sender's queue for long.
   */
  static final int UNHEARD_ATTEMPTS = 5;

  /** How long a join waits for this instance's channel subscriptions before it is refused. */
  private static final long LISTENING_TIMEOUT_MS = 5_000;

  /**
   * Tries of one publish while Redis is reachable ({@link #reachable}): 6.5 s of back-off between
   * them (100 ms doubling to 1 s), each try itself bounded by Redisson's command timeout.
   */
  static final int PUBLISH_ATTEMPTS = 10;

  /**
   * How long a publish that Redis answered keeps the bus publishing after the liveness probe has
   * called Redis down. The probe is one command every 250 ms, and down after two failures in a row;
   * on an overloaded machine its answer can take longer than its 2 s bound while publishes still go
   * through. Discarding frames then lost them for nothing: a two-instance benchmark at saturation
   * dropped 2,626 frames (6.6 % of a step) in the 1.2 s the probe said down, while every publish of
   * that time succeeded. Without Redis, publishes fail too, and the discarding starts this long
   * after the last one that did not. Only while this instance's liveness key is certainly still
   * alive, though ({@link InstanceLiveness#keyCertainlyAlive}): once it may have expired, another
   * instance may have freed this one's seats and told their rooms they left, and frames from those
   * members must not follow. 5 s: the same benchmark, while both instances were still compiling on
   * a saturated machine, showed whole-instance stalls of 2 to 3.5 s (no Redis reply at all, in both
   * bus designs), and with 2 s two of six runs lost 80 and 780 frames to them.
   */
  static final long ANSWERED_RECENTLY_NS = TimeUnit.SECONDS.toNanos(5);

  /** The sequence number of envelopes that are not deduplicated (the reaper's). */
  private static final long NO_SEQUENCE = -1;

  private final RedissonClient redis;
  private final String instanceId;
  private final boolean sharded;
  private final BooleanSupplier healthy;
  private final BooleanSupplier keyAlive;
  private final LongConsumer publishNanos;
  private final RoomEvents events;
  private final long backlogLimitChars;
  private final Object idle = new Object();
  private int publishing; // senders with a publish in flight; guarded by idle
  private final ConcurrentMap<RoomId, RoomView> views = new ConcurrentHashMap<>();
  private final ConcurrentMap<PeerId, Outgoing> senders = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, RTopic[]> channels = new ConcurrentHashMap<>();
  private final AtomicIntegerArray listenerIds = new AtomicIntegerArray(LANES);
  private final CompletableFuture<Void> listening = new CompletableFuture<>();
  private volatile Receiver receiver = (room, frame, sentAt) -> {};
  private volatile boolean stopping;
  private volatile long lastAnswered = System.nanoTime() - 2 * ANSWERED_RECENTLY_NS;

  /**
   * A room this instance holds members of: the members it knows of on other instances (peer to
   * holding instance), and the last envelope number seen from each sender.
   */
  private static final class RoomView {

    /**
     * Departed peers remembered so that a claim's older snapshot of the seats, read before their
     * leave arrived, does not bring them back. Peer ids are never reused; past this many the memory
     * is cleared, at worst costing publishes to an instance that drops them.
     */
    private static final int DEPARTED_LIMIT = 1024;

    final Map<String, String> remote = new ConcurrentHashMap<>();
    final Map<String, Long> lastSequence = new ConcurrentHashMap<>();
    private final Set<String> departed = ConcurrentHashMap.newKeySet();

    /** The distinct values of {@code remote}, kept beside it so that a publish need not copy it. */
    private volatile List<String> holders = List.of();

    /** From a claim's snapshot of the seats or a {@code J}: unless it already left. */
    synchronized void joined(String peer, String holder) {
      if (!departed.contains(peer) && !holder.equals(remote.put(peer, holder))) {
        holders = List.copyOf(new LinkedHashSet<>(remote.values()));
      }
    }

    /**
     * From a {@code J} its instance sent after Redis came back: it is here, even if this instance
     * heard of it leaving (a survivor reaped its instance while it was cut off).
     */
    synchronized void rejoined(String peer, String holder) {
      departed.remove(peer);
      joined(peer, holder);
    }

    /**
     * From an {@code L}; true if it is news (its own instance and a reaper may both announce one
     * leave). Its last envelope number stays, so that a repeat of its {@code L} is still dropped.
     */
    synchronized boolean left(String peer) {
      if (remote.remove(peer) != null) {
        holders = List.copyOf(new LinkedHashSet<>(remote.values()));
      }
      if (departed.size() >= DEPARTED_LIMIT) {
        departed.forEach(lastSequence::remove);
        departed.clear();
      }
      return departed.add(peer);
    }

    /** The instances holding the room's other members. */
    List<String> holders() {
      return holders;
    }
  }

  RedisRoomBus(
      RedissonClient redis,
      String instanceId,
      boolean sharded,
      BooleanSupplier healthy,
      BooleanSupplier keyAlive,
      LongConsumer publishNanos,
      RoomEvents events,
      long backlogLimitChars) {
    this.redis = redis;
    this.instanceId = instanceId;
    this.sharded = sharded;
    this.healthy = healthy;
    this.keyAlive = keyAlive;
    this.publishNanos = publishNanos;
    this.events = events;
    this.backlogLimitChars = backlogLimitChars;
  }

  @Override
  public void attach(Receiver receiver) {
    this.receiver = receiver;
  }

  /**
   * Starts listening to this instance's channels, trying each again every second until Redis takes
   * the subscription; Redisson subscribes again by itself after a reconnect. (Hand-written:
   * MicroProfile's {@code Retry} covers asynchronous calls only on {@code @Asynchronous} beans, and
   * this must not block the caller.)
   */
  void start() {
    AtomicInteger left = new AtomicInteger(LANES);
    for (int lane = 0; lane < LANES; lane++) {
      listen(lane, left);
    }
  }

  private void listen(int lane, AtomicInteger left) {
    channels(instanceId)[lane]
        .addListenerAsync(String.class, (channel, message) -> receive(message))
        .whenComplete(
            (id, error) -> {
              if (error == null) {
                listenerIds.set(lane, id);
                if (left.decrementAndGet() == 0) {
                  listening.complete(null);
                }
              } else if (!stopping && !redis.isShuttingDown()) {
                LOG.log(
                    Level.FINE,
                    "Subscribing to this instance's channel failed; again in 1 s",
                    error);
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
                    .execute(() -> listen(lane, left));
              }
            });
  }

  /** A reaped instance: drops the handles on its channels (made again should they be needed). */
  void forget(String deadInstance) {
    channels.remove(deadInstance);
  }

  /** Stops listening (tests; a stopping server shuts Redisson down instead). */
  void stop() {
    stopping = true;
    listening.thenRun(
        () -> {
          for (int lane = 0; lane < LANES; lane++) {
            channels(instanceId)[lane].removeListenerAsync(listenerIds.get(lane));
          }
        });
  }

  /** The channel of {@code instance} that carries {@code room}'s envelopes. */
  private RTopic channel(String instance, RoomId room) {
    return channels(instance)[lane(room)];
  }

  /** The lane of a room: its envelopes always take the same channel, so they stay in order. */
  static int lane(RoomId room) {
    return Math.floorMod(room.value().hashCode(), LANES);
  }

  private RTopic[] channels(String instance) {
    RTopic[] known = channels.get(instance);
    if (known != null) {
      return known;
    }
    if (channels.size() > CHANNEL_HANDLES_LIMIT) {
      // Ids of instances gone long ago (a restarted pod may get a new one); made again on demand.
      channels.keySet().removeIf(id -> !id.equals(instanceId));
    }
    return channels.computeIfAbsent(
        instance,
        id -> {
          RTopic[] lanes = new RTopic[LANES];
          for (int lane = 0; lane < LANES; lane++) {
            String name = RedisKeys.channel(id, lane);
            lanes[lane] =
                sharded
                    ? redis.getShardedTopic(name, StringCodec.INSTANCE)
                    : redis.getTopic(name, StringCodec.INSTANCE);
          }
          return lanes;
        });
  }

  @Override
  public void open(RoomId room) {
    views.put(room, new RoomView());
  }

  @Override
  public CompletionStage<Void> ready(RoomId room) {
    // A copy: the caller may complete or cancel what it gets.
    return listening.isDone()
        ? listening.copy()
        : listening.copy().orTimeout(LISTENING_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close(RoomId room) {
    views.remove(room);
  }

  @Override
  public void claimed(RoomId room, Map<String, String> seats) {
    RoomView view = views.get(room);
    if (view != null) {
      seats.forEach(
          (peer, holder) -> {
            if (!holder.equals(instanceId)) {
              view.joined(peer, holder);
            }
          });
    }
  }

  @Override
  public void released(RoomId room, PeerId peer, Map<String, String> rest) {
    Outgoing out = senders.get(peer);
    if (out != null) {
      out.alsoTell(rest.values());
    }
  }

  @Override
  public void joined(Peer peer) {
    outgoing(peer).enqueue('J', "");
  }

  @Override
  public boolean publish(Peer sender, Frame frame) {
    if (sender == null) {
      return true; // it came from another instance
    }
    RoomView view = views.get(sender.roomId());
    if (view == null || view.holders().isEmpty()) {
      return true;
    }
    return outgoing(sender).enqueue('F', Clock.epochMicros() + " " + frame.text());
  }

  @Override
  public void left(Peer peer) {
    Outgoing out = senders.remove(peer.id());
    if (out != null) { // always, for a peer that joined
      out.enqueue('L', "");
    }
  }

  /**
   * Whether Redis can be published to: the probe says it is up, or a publish succeeded within
   * {@link #ANSWERED_RECENTLY_NS} and this instance's liveness key is certainly still alive.
   */
  private boolean reachable() {
    return healthy.getAsBoolean()
        || (System.nanoTime() - lastAnswered < ANSWERED_RECENTLY_NS && keyAlive.getAsBoolean());
  }

  private Outgoing outgoing(Peer peer) {
    return senders.computeIfAbsent(peer.id(), id -> new Outgoing(peer.roomId(), id.toString()));
  }

  /**
   * After Redis came back: tells the instances holding {@code seats} (the room's seats, read as
   * this instance claimed {@code peer}'s again) that the member is still here, so that those that
   * forgot it (they may have reaped this instance meanwhile) publish to it again.
   */
  void announceJoined(RoomId room, String peer, Map<String, String> seats) {
    String envelope = envelope('J', instanceId, room, peer, NO_SEQUENCE, "");
    Set.copyOf(seats.values()).stream()
        .filter(holder -> !holder.equals(instanceId))
        .forEach(holder -> channel(holder, room).publishAsync(envelope));
  }

  /**
   * For the reaper: tells the instances holding {@code rest} (the room's seats left after freeing
   * the dead instance's seat), this one included, that a peer of a dead instance is gone.
   */
  void announceLeft(RoomId room, String deadInstance, String peer, Map<String, String> rest) {
    String envelope = envelope('L', deadInstance, room, peer, NO_SEQUENCE, "");
    Set.copyOf(rest.values()).stream()
        .filter(holder -> !holder.equals(deadInstance))
        .forEach(holder -> channel(holder, room).publishAsync(envelope));
  }

  /**
   * One local sender's envelopes, published one at a time so they cannot overtake each other on
   * Redisson's connection pool. Frames that queue up while a publish is in flight leave together in
   * the next envelope (one line each: encoded frames never contain a raw newline), so a fast sender
   * costs fewer round trips instead of waiting for one per frame.
   */
  private final class Outgoing {

    private static final int MAX_FRAMES_PER_ENVELOPE = 256;
    private static final int MAX_ENVELOPE_CHARS = 512 * 1024;

    private final RoomId room;
    private final RoomView view;
    private final String sender;
    private final ArrayDeque<String[]> queue = new ArrayDeque<>();
    private final Set<String> alsoTell = ConcurrentHashMap.newKeySet();
    private long queuedChars;
    private boolean inFlight;
    private long sequence;

    Outgoing(RoomId room, String sender) {
      this.room = room;
      RoomView open = views.get(room);
      this.view = open != null ? open : new RoomView();
      this.sender = sender;
    }

    /** Instances to tell of this sender's leave besides those its room's view names. */
    void alsoTell(Collection<String> holders) {
      for (String holder : holders) {
        if (!holder.equals(instanceId)) {
          alsoTell.add(holder);
        }
      }
    }

    /** False if a frame would take the backlog past its limit (announcements always fit). */
    boolean enqueue(char kind, String payload) {
      if (!reachable()) {
        // Redis is down: members elsewhere are unreachable anyway; local relay goes on.
        events.busDiscarded(RoomBus.Discard.REDIS_DOWN, 1);
        return true;
      }
      synchronized (this) {
        if (kind == 'F' && queuedChars + payload.length() > backlogLimitChars) {
          return false;
        }
        queue.add(new String[] {String.valueOf(kind), payload});
        queuedChars += payload.length();
        if (inFlight) {
          return true;
        }
        inFlight = true;
      }
      busy(+1);
      flush();
      return true;
    }

    private String[] poll() {
      String[] head = queue.poll();
      queuedChars -= head[1].length();
      return head;
    }

    private void flush() {
      String envelope;
      List<String> targets;
      int frameCount = 0; // 0 for an announcement
      synchronized (this) {
        while (true) {
          if (queue.isEmpty()) {
            inFlight = false;
            busy(-1);
            return;
          }
          String[] head = poll();
          char kind = head[0].charAt(0);
          targets = view.holders();
          if (kind == 'L' && !alsoTell.isEmpty()) {
            Set<String> all = new LinkedHashSet<>(targets);
            all.addAll(alsoTell);
            targets = List.copyOf(all);
          }
          if (targets.isEmpty()) {
            continue; // no member elsewhere (any more): nobody to tell
          }
          long seq = ++sequence;
          if (kind != 'F') {
            envelope = envelope(kind, instanceId, room, sender, seq, head[1]);
          } else {
            StringBuilder frames = new StringBuilder(head[1]);
            int count = 1;
            while (count < MAX_FRAMES_PER_ENVELOPE
                && !queue.isEmpty()
                && queue.peek()[0].equals("F")
                && frames.length() + queue.peek()[1].length() < MAX_ENVELOPE_CHARS) {
              frames.append('\n').append(poll()[1]);
              count++;
            }
            envelope = envelope('F', instanceId, room, sender, seq, frames.toString());
            frameCount = count;
          }
          break;
        }
      }
      publish(envelope, frameCount, targets, 0, 1);
    }

    /**
     * Publishes one envelope to each target's channel in turn; the next envelope is not sent before
     * this one is done, so order holds on every channel. A publish that fails while Redis is
     * reachable is tried again with the same number, so a receiver that got the first try after all
     * drops the repeat. Under load Redisson fails a command its I/O thread did not write within its
     * retry interval ("Command still hasn't been written into connection"): the cross-instance
     * benchmark lost up to 324 frames a run that way before these retries. Frames that queue
     * meanwhile count towards the sender's backlog limit, which closes the sender with 1013 rather
     * than queueing without bound. A stopping server does not try again ({@link
     * RedisRoomBus#stopRetrying}). (Hand-written for the reason given at {@link
     * RedisRoomBus#start}.)
     */
    private void publish(
        String envelope, int frames, List<String> targets, int index, int attempt) {
      long start = System.nanoTime();
      CompletionStage<Long> sent;
      try {
        sent = channel(targets.get(index), room).publishAsync(envelope);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete(
          (receivers, error) ->
              published(envelope, frames, targets, index, attempt, start, receivers, error));
    }

    /**
     * After one try: this target again, or the next target, or the next envelope; always one of
     * them, whatever throws. A publish that no one heard (the target instance is not subscribed:
     * its subscription is being restored after Redis came back, or it died) is tried again a few
     * times ({@link #UNHEARD_ATTEMPTS}); nobody received it, so a repeat cannot duplicate it.
     */
    private void published(
        String envelope,
        int frames,
        List<String> targets,
        int index,
        int attempt,
        long start,
        Long receivers,
        Throwable error) {
      boolean unheard = error == null && receivers != null && receivers == 0;
      boolean again =
          !stopping
              && !redis.isShuttingDown()
              && (error != null
                  ? attempt < PUBLISH_ATTEMPTS && reachable()
                  : unheard && attempt < UNHEARD_ATTEMPTS);
      try {
        long now = System.nanoTime();
        publishNanos.accept(now - start);
        if (error == null) {
          lastAnswered = now;
          if (!unheard) {
            if (frames > 0) {
              events.busFrames(RoomBus.Direction.PUBLISHED, frames);
            }
          } else if (again) {
            LOG.fine("Publish reached no subscriber; trying again");
          } else {
            events.busDiscarded(RoomBus.Discard.NOT_LISTENING, Math.max(1, frames));
          }
        } else if (again) {
          LOG.log(Level.FINE, "Publish failed; trying again", error);
        } else {
          LOG.log(Level.FINE, "Publish failed", error);
          events.busDiscarded(RoomBus.Discard.PUBLISH_FAILED, Math.max(1, frames));
        }
      } finally {
        if (again) {
          CompletableFuture.delayedExecutor(Math.min(1_000, 50L << attempt), TimeUnit.MILLISECONDS)
              .execute(() -> publish(envelope, frames, targets, index, attempt + 1));
        } else if (index + 1 < targets.size()) {
          publish(envelope, frames, targets, index + 1, 1);
        } else {
          flush();
        }
      }
    }
  }

  private static String envelope(
      char kind, String instance, RoomId room, String peer, long seq, String payload) {
    return kind + "\n" + instance + "\n" + room.value() + "\n" + peer + "\n" + seq + "\n" + payload;
  }

  private void busy(int change) {
    synchronized (idle) {
      publishing += change;
      if (publishing == 0) {
        idle.notifyAll();
      }
    }
  }

  /**
   * On shutdown, before {@link #awaitIdle}: failed publishes are no longer tried again, so that the
   * leave announcements queued behind them go out in the little time left.
   */
  void stopRetrying() {
    stopping = true;
  }

  /**
   * Waits (at most {@code timeout}) until no sender has a publish in flight or queued: on shutdown,
   * so that the drain's last {@code L} announcements reach the other instances before the client
   * goes away.
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (publishing > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(idle, left);
      }
      return true;
    }
  }

  /** One envelope from this instance's channel: for the room it names, if it has members here. */
  private void receive(String message) {
    String[] parts = message.split("\n", 6);
    if (parts.length < 6) {
      events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
      return;
    }
    RoomId room;
    try {
      room = new RoomId(parts[2]);
    } catch (RuntimeException e) {
      events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
      return;
    }
    RoomView view = views.get(room);
    if (view == null) {
      // Its last member here left before the sender heard of it (the leave tells the sender).
      // Frames are counted; a J or L is not: when both members of a room leave at once, each
      // instance gets the other's L after its own member left, which is how it should be.
      if (parts[0].equals("F")) {
        events.busDiscarded(RoomBus.Discard.SUPERSEDED, 1);
      }
      return;
    }
    String peer = parts[3];
    long seq;
    try {
      seq = Long.parseLong(parts[4]);
    } catch (NumberFormatException e) {
      events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
      return;
    }
    if (seq != NO_SEQUENCE) {
      // Redisson retries a PUBLISH whose reply timed out, which Redis may have run already: an
      // envelope can arrive twice. Envelopes of one sender are published one at a time, so a
      // sequence number not above the last one seen is such a repeat.
      Long last = view.lastSequence.get(peer);
      if (last != null && seq <= last) {
        events.busDiscarded(RoomBus.Discard.DUPLICATE, 1);
        return;
      }
      if (last != null && seq > last + 1) {
        // Published in order, numbered one by one, so a jump means envelopes went missing on the
        // way. Counted so that an operator sees it (Redisson's pub/sub pings once lost some).
        events.busMissing(seq - last - 1);
      }
      view.lastSequence.put(peer, seq);
    }
    switch (parts[0]) {
      case "J" -> {
        if (seq == NO_SEQUENCE) {
          view.rejoined(peer, parts[1]);
        } else {
          view.joined(peer, parts[1]);
        }
      }
      case "L" -> {
        if (view.left(peer)) {
          receiver.deliver(room, Frame.PEER_DISCONNECTED, Receiver.UNTIMED);
        }
      }
      case "F" -> {
        String[] lines = parts[5].split("\n");
        events.busFrames(RoomBus.Direction.RECEIVED, lines.length);
        for (String line : lines) {
          int space = line.indexOf(' ');
          receiver.deliver(
              room, Frame.of(line.substring(space + 1)), Long.parseLong(line, 0, space, 10));
        }
      }
      default -> {
        events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
        LOG.fine(() -> "Unknown envelope kind " + parts[0]);
      }
    }
  }
}
