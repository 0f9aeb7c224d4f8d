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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * A Redis pub/sub channel per instance ({@link #CHANNELS}; {@code RShardedTopic} on a Redis
 * Cluster). Each instance listens to its own channel only, and publishes a member's frames to the
 * channel of each instance that holds its room mates: in a room of two on two instances, one
 * publish reaches exactly the one instance that needs it. (An earlier version had a channel per
 * room, which every instance holding a member subscribed to: Redis then sent every publish back to
 * its publisher too, which decoded and dropped it, and every join cost a SUBSCRIBE and every leave
 * an UNSUBSCRIBE.)
 *
 * <p>Which instances hold a room's other members: the seats a claim or release returns (read in the
 * same atomic step, {@link RedisRoomStore.SeatObserver}), then the {@code J} and {@code L}
 * announcements those instances send. Of two members claiming seats on different instances at once,
 * the later claim sees the earlier one, so its instance announces its member to the other's; a
 * release sees every seat claimed before it, so a leave reaches every instance that may know the
 * member.
 *
 * <p>A message on a channel is a batch: the publishing instance's id on the first line, then
 * records of six or more lines, {@code kind \n room \n peer \n sequence \n count \n} and {@code
 * count} lines of payload. {@code J} a peer joined, {@code L} it left (its room mates get {@code
 * peer-disconnected}), both without payload; {@code F} frames, one per line, each as {@code
 * publishedAtEpochMicros frame} so that receivers can report the cross-instance relay latency. Each
 * channel of another instance has one batch in flight at a time ({@link Route}); what its senders
 * queue meanwhile leaves in the next one, whoever sent it, so a busy instance publishes once per
 * round trip rather than once per frame. A sender's records are numbered per instance they go to,
 * so that a receiver drops the repeats Redisson's retries can cause.
 */
final class RedisRoomBus implements RoomBus, RedisRoomStore.SeatObserver {

  private static final Logger LOG = Logger.getLogger(RedisRoomBus.class.getName());

  /**
   * Pub/sub channels per instance. One, so that all the frames one instance sends another share one
   * batch in flight and leave together: with eight channels (one per lane) a two-instance benchmark
   * at 10,000 msg/s published about 2.7 frames per batch, and Redisson's work per publish on both
   * ends cost about as much CPU as all of Tyrus and Grizzly. A channel's messages reach its
   * listener one at a time, in order; what they carry is delivered on the {@link #LANES} lanes.
   */
  static final int CHANNELS = 1;

  /**
   * Delivery lanes: the frames a batch brings are handed, room by room, to one of these ordered
   * queues ({@link Lane}), which {@link #DELIVERY_THREADS} threads drain. Delivering on the channel
   * listener's own thread put every frame this instance receives from the others on one thread: in
   * a two-instance benchmark a freshly started instance, still interpreting that code, fell 2.5 to
   * 9 s behind (p50) in its first seconds. A room always takes the same lane ({@link #lane}), so
   * its frames stay in order.
   */
  static final int LANES = 8;

  /** Threads draining the delivery lanes; each delivery only hands frames to local outboxes. */
  static final int DELIVERY_THREADS = 4;

  /** How long an idle delivery thread is kept. */
  private static final long DELIVERY_KEEP_ALIVE_S = 30;

  /** Instances whose routes are kept before the idle ones are dropped. */
  private static final int ROUTES_LIMIT = 256;

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
  private final ConcurrentMap<PeerId, Sender> senders = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Route[]> routes = new ConcurrentHashMap<>();
  private final AtomicIntegerArray listenerIds = new AtomicIntegerArray(CHANNELS);
  private final CompletableFuture<Void> listening = new CompletableFuture<>();
  private final Lane[] lanes = new Lane[LANES];
  private final ThreadPoolExecutor delivery;
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
    AtomicInteger count = new AtomicInteger();
    this.delivery =
        new ThreadPoolExecutor(
            DELIVERY_THREADS,
            DELIVERY_THREADS,
            DELIVERY_KEEP_ALIVE_S,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            task -> {
              Thread t = new Thread(task, "switchboard-bus-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    delivery.allowCoreThreadTimeOut(true);
    for (int lane = 0; lane < LANES; lane++) {
      lanes[lane] = new Lane();
    }
  }

  /**
   * One delivery lane: tasks run one at a time in the order queued, on whichever delivery thread is
   * free. (Hand-written: the JDK has no ordered-per-key executor, and a single-thread executor per
   * lane would keep eight threads for two cores.)
   */
  private final class Lane {
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    void submit(Runnable task) {
      queue.add(task);
      if (scheduled.compareAndSet(false, true)) {
        schedule();
      }
    }

    private void schedule() {
      try {
        delivery.execute(this::drain);
      } catch (RejectedExecutionException stopped) {
        queue.clear(); // shutting down: nobody is left to deliver to
        scheduled.set(false);
      }
    }

    private void drain() {
      Runnable task;
      while ((task = queue.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "Delivering frames from another instance failed", e);
        }
      }
      scheduled.set(false);
      // A task queued after the last poll but before the flag was cleared found it set: take it.
      if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
        schedule();
      }
    }
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
    AtomicInteger left = new AtomicInteger(CHANNELS);
    for (int channel = 0; channel < CHANNELS; channel++) {
      listen(channel, left);
    }
  }

  private void listen(int channel, AtomicInteger left) {
    routes(instanceId)[channel]
        .topic
        .addListenerAsync(String.class, (name, message) -> receive(message))
        .whenComplete(
            (id, error) -> {
              if (error == null) {
                listenerIds.set(channel, id);
                if (left.decrementAndGet() == 0) {
                  listening.complete(null);
                }
              } else if (!stopping && !redis.isShuttingDown()) {
                LOG.log(
                    Level.FINE,
                    "Subscribing to this instance's channel failed; again in 1 s",
                    error);
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
                    .execute(() -> listen(channel, left));
              }
            });
  }

  /**
   * A reaped instance: drops its routes (made again should they be needed), unless one still has a
   * batch in flight, which must finish before another may publish to that channel.
   */
  void forget(String deadInstance) {
    routes.computeIfPresent(deadInstance, (id, known) -> idle(known) ? null : known);
  }

  /** Stops listening (tests; a stopping server shuts Redisson down instead). */
  void stop() {
    stopping = true;
    listening.thenRun(
        () -> {
          for (int channel = 0; channel < CHANNELS; channel++) {
            routes(instanceId)[channel].topic.removeListenerAsync(listenerIds.get(channel));
          }
        });
  }

  /** The lane of a room: its frames are always delivered on the same one, so they stay in order. */
  static int lane(RoomId room) {
    return Math.floorMod(room.value().hashCode(), LANES);
  }

  /**
   * The channel a room's envelopes take (of {@link #CHANNELS}): always the same one, and always of
   * the same lanes, so they stay in order.
   */
  static int channel(RoomId room) {
    return lane(room) % CHANNELS;
  }

  /** The routes to {@code instance}'s channels (this instance's own: to listen). */
  private Route[] routes(String instance) {
    Route[] known = routes.get(instance);
    if (known != null) {
      return known;
    }
    if (routes.size() > ROUTES_LIMIT) {
      // Ids of instances gone long ago (a restarted pod may get a new one); made again on demand.
      routes.entrySet().removeIf(e -> !e.getKey().equals(instanceId) && idle(e.getValue()));
    }
    return routes.computeIfAbsent(
        instance,
        id -> {
          Route[] channels = new Route[CHANNELS];
          for (int channel = 0; channel < CHANNELS; channel++) {
            String name = RedisKeys.channel(id, channel);
            channels[channel] =
                new Route(
                    id,
                    sharded
                        ? redis.getShardedTopic(name, StringCodec.INSTANCE)
                        : redis.getTopic(name, StringCodec.INSTANCE));
          }
          return channels;
        });
  }

  private static boolean idle(Route[] channels) {
    for (Route route : channels) {
      if (!route.idle()) {
        return false;
      }
    }
    return true;
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
    Sender sender = senders.get(peer);
    if (sender != null) {
      sender.alsoTell(rest.values());
    }
  }

  @Override
  public void joined(Peer peer) {
    sender(peer).enqueue('J', "");
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
    return sender(sender).enqueue('F', Clock.epochMicros() + " " + frame.text());
  }

  @Override
  public void left(Peer peer) {
    Sender sender = senders.remove(peer.id());
    if (sender != null) { // always, for a peer that joined
      sender.enqueue('L', "");
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

  private Sender sender(Peer peer) {
    return senders.computeIfAbsent(peer.id(), id -> new Sender(peer.roomId(), id.toString()));
  }

  /**
   * After Redis came back: tells the instances holding {@code seats} (the room's seats, read as
   * this instance claimed {@code peer}'s again) that the member is still here, so that those that
   * forgot it (they may have reaped this instance meanwhile) publish to it again.
   */
  void announceJoined(RoomId room, String peer, Map<String, String> seats) {
    String batch = announcement('J', instanceId, room, peer);
    Set.copyOf(seats.values()).stream()
        .filter(holder -> !holder.equals(instanceId))
        .forEach(holder -> routes(holder)[channel(room)].topic.publishAsync(batch));
  }

  /**
   * For the reaper: tells the instances holding {@code rest} (the room's seats left after freeing
   * the dead instance's seat), this one included, that a peer of a dead instance is gone.
   */
  void announceLeft(RoomId room, String deadInstance, String peer, Map<String, String> rest) {
    String batch = announcement('L', deadInstance, room, peer);
    Set.copyOf(rest.values()).stream()
        .filter(holder -> !holder.equals(deadInstance))
        .forEach(holder -> routes(holder)[channel(room)].topic.publishAsync(batch));
  }

  /** A batch of one unnumbered record, in the name of {@code instance}. */
  private static String announcement(char kind, String instance, RoomId room, String peer) {
    return instance
        + "\n"
        + kind
        + "\n"
        + room.value()
        + "\n"
        + peer
        + "\n"
        + NO_SEQUENCE
        + "\n0\n";
  }

  /** What a sender queued on a route: a {@code J}, an {@code L}, or one frame's line. */
  private record Item(Sender sender, char kind, String payload) {}

  /**
   * One local member's side of the bus: the instances to tell besides those its room's view names,
   * the numbers of its records per instance, and its backlog.
   */
  private final class Sender {

    private final RoomId room;
    private final RoomView view;
    private final String id;
    private final Set<String> alsoTell = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, AtomicLong> sequences = new ConcurrentHashMap<>(2);
    private final AtomicLong queuedChars = new AtomicLong();

    Sender(RoomId room, String id) {
      this.room = room;
      RoomView open = views.get(room);
      this.view = open != null ? open : new RoomView();
      this.id = id;
    }

    /** Instances to tell of this sender's leave besides those its room's view names. */
    void alsoTell(Collection<String> holders) {
      for (String holder : holders) {
        if (!holder.equals(instanceId)) {
          alsoTell.add(holder);
        }
      }
    }

    /**
     * Queues a record for every instance holding the room's other members. False if a frame would
     * take the backlog (what waits for a batch, counted once per instance it goes to) past its
     * limit; announcements always fit. Synchronized so that one sender's records reach every
     * instance in the same order; routes whose batch this sender starts are flushed after.
     */
    boolean enqueue(char kind, String payload) {
      if (!reachable()) {
        // Redis is down: members elsewhere are unreachable anyway; local relay goes on.
        events.busDiscarded(RoomBus.Discard.REDIS_DOWN, 1);
        return true;
      }
      Route first = null;
      List<Route> more = null;
      synchronized (this) {
        List<String> targets = view.holders();
        if (kind == 'L' && !alsoTell.isEmpty()) {
          Set<String> all = new LinkedHashSet<>(targets);
          all.addAll(alsoTell);
          targets = List.copyOf(all);
        }
        if (targets.isEmpty()) {
          return true; // no member elsewhere (any more): nobody to tell
        }
        long chars = (long) payload.length() * targets.size();
        if (kind == 'F' && queuedChars.get() + chars > backlogLimitChars) {
          return false;
        }
        queuedChars.addAndGet(chars);
        Item item = new Item(this, kind, payload);
        int channel = channel(room);
        for (String target : targets) {
          Route route = routes(target)[channel];
          if (route.add(item)) {
            if (first == null) {
              first = route;
            } else {
              (more == null ? more = new ArrayList<>() : more).add(route);
            }
          }
        }
      }
      if (first != null) {
        first.flush();
      }
      if (more != null) {
        more.forEach(Route::flush);
      }
      return true;
    }

    /** The next record's number on the way to {@code target}. */
    long nextSequence(String target) {
      return sequences.computeIfAbsent(target, t -> new AtomicLong()).incrementAndGet();
    }
  }

  /** One record of a batch being built. */
  private static final class Record {
    final Sender sender;
    final char kind;
    final long sequence;
    final StringBuilder lines = new StringBuilder();
    int count;

    Record(Sender sender, char kind, long sequence) {
      this.sender = sender;
      this.kind = kind;
      this.sequence = sequence;
    }
  }

  /** A batch as published: its text, and the frames and announcements it carries. */
  private record Batch(String text, int frames, int announcements) {}

  /**
   * One channel of another instance, and what this instance's senders queued for it. One batch is
   * in flight at a time, so batches cannot overtake each other on Redisson's connection pool and
   * every sender's records arrive in order; all that queued while it was in flight leaves together
   * in the next. At 2,000 msg/s between two instances, a publish per frame cost about 400 µs of CPU
   * per message over both instances (Redisson's I/O and listener threads, and wake-ups), while
   * frames that happened to arrive in bursts cost a tenth of that.
   */
  private final class Route {

    private static final int MAX_FRAMES_PER_RECORD = 256;
    private static final int MAX_BATCH_CHARS = 512 * 1024;

    final String target;
    final RTopic topic;
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private boolean inFlight; // a batch is being published, or the caller of add is to flush

    Route(String target, RTopic topic) {
      this.target = target;
      this.topic = topic;
    }

    synchronized boolean idle() {
      return !inFlight;
    }

    /** Queues {@code item}; true if the caller must {@link #flush} (nothing was in flight). */
    boolean add(Item item) {
      synchronized (this) {
        queue.add(item);
        if (inFlight) {
          return false;
        }
        inFlight = true;
      }
      busy(+1);
      return true;
    }

    /** Publishes what is queued as one batch, or ends the flight if nothing is. */
    private void flush() {
      Batch batch;
      synchronized (this) {
        if (queue.isEmpty()) {
          inFlight = false;
          busy(-1);
          return;
        }
        batch = take();
      }
      publish(batch, 1);
    }

    /**
     * Takes queued items into a batch, up to {@link #MAX_BATCH_CHARS}: a sender's frames join its
     * last record of the batch unless an announcement of its came after them.
     */
    private Batch take() {
      List<Record> records = new ArrayList<>();
      Map<Sender, Record> open = new HashMap<>();
      int chars = 0;
      int frames = 0;
      int announcements = 0;
      while (!queue.isEmpty() && (chars < MAX_BATCH_CHARS || records.isEmpty())) {
        Item item = queue.poll();
        item.sender().queuedChars.addAndGet(-item.payload().length());
        chars += item.payload().length() + 1;
        Record record = item.kind() == 'F' ? open.get(item.sender()) : null;
        if (record == null || record.count == MAX_FRAMES_PER_RECORD) {
          record = new Record(item.sender(), item.kind(), item.sender().nextSequence(target));
          records.add(record);
          if (item.kind() == 'F') {
            open.put(item.sender(), record);
          } else {
            open.remove(item.sender());
            announcements++;
          }
        }
        if (item.kind() == 'F') {
          record.lines.append(item.payload()).append('\n');
          record.count++;
          frames++;
        }
      }
      StringBuilder text = new StringBuilder(chars + 64 * records.size() + 64);
      text.append(instanceId).append('\n');
      for (Record record : records) {
        text.append(record.kind)
            .append('\n')
            .append(record.sender.room.value())
            .append('\n')
            .append(record.sender.id)
            .append('\n')
            .append(record.sequence)
            .append('\n')
            .append(record.count)
            .append('\n')
            .append(record.lines);
      }
      return new Batch(text.toString(), frames, announcements);
    }

    /**
     * Publishes a batch; the next is not sent before this one is done, so order holds on the
     * channel. A publish that fails while Redis is reachable is tried again with the same text, so
     * a receiver that got the first try after all drops the repeated records by their numbers.
     * Under load Redisson fails a command its I/O thread did not write within its retry interval
     * ("Command still hasn't been written into connection"): the cross-instance benchmark lost up
     * to 324 frames a run that way before these retries. Frames that queue meanwhile count towards
     * their senders' backlog limits, which close a sender with 1013 rather than queueing without
     * bound. A stopping server does not try again ({@link RedisRoomBus#stopRetrying}).
     * (Hand-written for the reason given at {@link RedisRoomBus#start}.)
     */
    private void publish(Batch batch, int attempt) {
      long start = System.nanoTime();
      CompletionStage<Long> sent;
      try {
        sent = topic.publishAsync(batch.text());
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((receivers, error) -> published(batch, attempt, start, receivers, error));
    }

    /**
     * After one try: this batch again, or the next; always one of them, whatever throws. A publish
     * that no one heard (the target instance is not subscribed: its subscription is being restored
     * after Redis came back, or it died) is tried again a few times ({@link #UNHEARD_ATTEMPTS});
     * nobody received it, so a repeat cannot duplicate it.
     */
    private void published(Batch batch, int attempt, long start, Long receivers, Throwable error) {
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
        int lost = batch.frames() + batch.announcements();
        if (error == null) {
          lastAnswered = now;
          if (!unheard) {
            if (batch.frames() > 0) {
              events.busFrames(RoomBus.Direction.PUBLISHED, batch.frames());
            }
          } else if (again) {
            LOG.fine("Publish reached no subscriber; trying again");
          } else {
            events.busDiscarded(RoomBus.Discard.NOT_LISTENING, lost);
          }
        } else if (again) {
          LOG.log(Level.FINE, "Publish failed; trying again", error);
        } else {
          LOG.log(Level.FINE, "Publish failed", error);
          events.busDiscarded(RoomBus.Discard.PUBLISH_FAILED, lost);
        }
      } finally {
        if (again) {
          CompletableFuture.delayedExecutor(Math.min(1_000, 50L << attempt), TimeUnit.MILLISECONDS)
              .execute(() -> publish(batch, attempt + 1));
        } else {
          flush();
        }
      }
    }
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

  /** Stops delivering (a stopping server, after its last publishes). */
  void shutdown() {
    delivery.shutdown();
  }

  /**
   * Waits (at most {@code timeout}) until no route has a batch in flight or queued: on shutdown, so
   * that the drain's last {@code L} announcements reach the other instances before the client goes
   * away.
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

  /** Reads a batch line by line. */
  private static final class Lines {
    private final String text;
    private int at;

    Lines(String text) {
      this.text = text;
    }

    boolean more() {
      return at < text.length();
    }

    /** The next line, or null past the end. */
    String next() {
      int end = end();
      if (end < 0) {
        return null;
      }
      String line = text.substring(at, end);
      at = end + 1;
      return line;
    }

    /** Skips {@code count} lines; false if there were fewer. */
    boolean skip(long count) {
      for (long i = 0; i < count; i++) {
        int end = end();
        if (end < 0) {
          return false;
        }
        at = end + 1;
      }
      return true;
    }

    /** Where the current line ends, or -1 past the end. */
    int end() {
      if (at >= text.length()) {
        return -1;
      }
      int newline = text.indexOf('\n', at);
      return newline < 0 ? text.length() : newline;
    }
  }

  /**
   * One batch from this instance's channel: each record for the room it names, if held here. The
   * records are read here, in order, and what they deliver is handed to the rooms' lanes, one task
   * per lane and batch.
   */
  private void receive(String message) {
    List<Delivery>[] batch = newDeliveries();
    try {
      receiveAll(message, batch);
    } finally {
      for (int lane = 0; lane < LANES; lane++) {
        List<Delivery> deliveries = batch[lane];
        if (deliveries != null) {
          Receiver to = receiver;
          lanes[lane].submit(
              () -> {
                for (Delivery d : deliveries) {
                  to.deliver(d.room(), d.frame(), d.sentAt());
                }
              });
        }
      }
    }
  }

  /** A frame for the local members of {@code room}. */
  private record Delivery(RoomId room, Frame frame, long sentAt) {}

  @SuppressWarnings("unchecked")
  private static List<Delivery>[] newDeliveries() {
    return (List<Delivery>[]) new List<?>[LANES];
  }

  private static void deliver(List<Delivery>[] batch, RoomId room, Frame frame, long sentAt) {
    int lane = lane(room);
    if (batch[lane] == null) {
      batch[lane] = new ArrayList<>();
    }
    batch[lane].add(new Delivery(room, frame, sentAt));
  }

  private void receiveAll(String message, List<Delivery>[] batch) {
    Lines lines = new Lines(message);
    String holder = lines.next();
    if (holder == null) {
      events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
      return;
    }
    while (lines.more()) {
      if (!receiveRecord(holder, lines, batch)) {
        events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
        LOG.fine("Malformed batch; the rest of it dropped");
        return;
      }
    }
  }

  /**
   * One record, from {@code holder}, its deliveries added to {@code batch}; false if malformed (the
   * batch's rest cannot be read).
   */
  private boolean receiveRecord(String holder, Lines lines, List<Delivery>[] batch) {
    String kind = lines.next();
    String roomName = lines.next();
    String peer = lines.next();
    String sequence = lines.next();
    String countText = lines.next();
    if (countText == null || kind.length() != 1) {
      return false;
    }
    RoomId room;
    long seq;
    int count;
    try {
      room = new RoomId(roomName);
      seq = Long.parseLong(sequence);
      count = Integer.parseInt(countText);
    } catch (RuntimeException e) {
      return false;
    }
    if (count < 0) {
      return false;
    }
    RoomView view = views.get(room);
    if (view == null) {
      // Its last member here left before the sender heard of it (the leave tells the sender).
      // Frames are counted; a J or L is not: when both members of a room leave at once, each
      // instance gets the other's L after its own member left, which is how it should be.
      if (kind.equals("F")) {
        events.busDiscarded(RoomBus.Discard.SUPERSEDED, count);
      }
      return lines.skip(count);
    }
    if (seq != NO_SEQUENCE) {
      // Redisson retries a PUBLISH whose reply timed out, which Redis may have run already: a
      // batch can arrive twice. One route publishes one batch at a time, so a record numbered no
      // higher than the last one seen from its sender is such a repeat.
      Long last = view.lastSequence.get(peer);
      if (last != null && seq <= last) {
        events.busDiscarded(RoomBus.Discard.DUPLICATE, 1);
        return lines.skip(count);
      }
      if (last != null && seq > last + 1) {
        // Published in order, numbered one by one, so a jump means records went missing on the
        // way. Counted so that an operator sees it (Redisson's pub/sub pings once lost some).
        events.busMissing(seq - last - 1);
      }
      view.lastSequence.put(peer, seq);
    }
    switch (kind.charAt(0)) {
      case 'J' -> {
        if (seq == NO_SEQUENCE) {
          view.rejoined(peer, holder);
        } else {
          view.joined(peer, holder);
        }
        return lines.skip(count);
      }
      case 'L' -> {
        if (view.left(peer)) {
          deliver(batch, room, Frame.PEER_DISCONNECTED, Receiver.UNTIMED);
        }
        return lines.skip(count);
      }
      case 'F' -> {
        events.busFrames(RoomBus.Direction.RECEIVED, count);
        for (int i = 0; i < count; i++) {
          String line = lines.next();
          int space = line == null ? -1 : line.indexOf(' ');
          if (space <= 0) {
            return false;
          }
          long sentAt;
          try {
            sentAt = Long.parseLong(line, 0, space, 10);
          } catch (NumberFormatException e) {
            return false;
          }
          deliver(batch, room, Frame.of(line.substring(space + 1)), sentAt);
        }
        return true;
      }
      default -> {
        events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
        LOG.fine(() -> "Unknown record kind " + kind);
        return lines.skip(count);
      }
    }
  }
}
