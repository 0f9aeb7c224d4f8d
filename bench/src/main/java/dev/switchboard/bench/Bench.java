package dev.switchboard.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one scenario: opens rooms through {@link WsConnector}, confirms each room with the sync
 * exchange, drives the load and collects the numbers into a {@link RunResult}.
 */
final class Bench implements WsClient.Listener, AutoCloseable {

  static final long SYNC_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  static final long SYNC_MAX_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  static final long SYNC_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(15);

  /**
   * A churn rejoin whose sync goes unanswered is retried after this long rather than the full
   * {@link #SYNC_TIMEOUT_NANOS}, so that a lost answer does not leave the room out of the run. (The
   * rare stall once seen against the test relay was a harness race, the connection's attachment set
   * after onOpen could fire: that rejoin never started its sync, so this timeout never ran either.)
   */
  static final long REJOIN_SYNC_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);

  static final long LEAVE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** A measured window: messages (or joins) whose start time falls in [from, to) count. */
  static final class Phase {
    final String label;
    final long from;
    final long to;
    final LongAdder sent = new LongAdder();
    final LongAdder received = new LongAdder();
    final LongAdder outOfOrder = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final Recorder latency = new Recorder(1, 3_600_000_000L, 3);
    final Recorder sendLag = new Recorder(1, 3_600_000_000L, 3);
    final Recorder leave = new Recorder(1, 3_600_000_000L, 3);

    Phase(String label, long from, long to) {
      this.label = label;
      this.from = from;
      this.to = to;
    }

    boolean inWindow(long nanos) {
      return nanos >= from && nanos < to;
    }
  }

  final BenchArgs args;
  final PrintStream out;
  final WsConnector connector;
  final List<Room> rooms = new ArrayList<>();
  final String roomPrefix;
  final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "bench-ticker");
            t.setDaemon(true);
            return t;
          });

  // global counters
  final AtomicInteger connected = new AtomicInteger();
  final AtomicInteger pending = new AtomicInteger();
  final AtomicInteger readyRooms = new AtomicInteger();
  final LongAdder connectFailures = new LongAdder();
  final LongAdder unexpectedCloses = new LongAdder();
  final LongAdder syncTimeouts = new LongAdder();
  final LongAdder rateLimited = new LongAdder();
  final LongAdder serverErrors = new LongAdder();
  final LongAdder otherMessages = new LongAdder();
  final LongAdder peerDisconnected = new LongAdder();
  final LongAdder totalSent = new LongAdder();
  final LongAdder totalReceived = new LongAdder();
  final LongAdder totalDropped = new LongAdder();
  final Map<String, LongAdder> closeReasons = new ConcurrentHashMap<>();
  final Recorder progressLatency = new Recorder(1, 3_600_000_000L, 3);
  final Recorder handshake = new Recorder(1, 3_600_000_000L, 3);
  final AtomicBoolean rateLimitWarned = new AtomicBoolean();
  final AtomicBoolean serverErrorWarned = new AtomicBoolean();
  final AtomicLong firstConnectNanos = new AtomicLong();
  final AtomicLong lastOpenNanos = new AtomicLong();

  volatile Phase phase;
  volatile String stage = "start";
  volatile Churn churn;
  final long t0 = System.nanoTime();

  Bench(BenchArgs args, PrintStream out) {
    this.args = args;
    this.out = out;
    int conns = args.scenario == BenchArgs.Scenario.CONNECTIONS ? args.clients : args.rooms * 2;
    List<InetAddress> ips = WsConnector.sourceIps(args.sourceIps, args.url.getHost(), conns);
    this.connector = new WsConnector(args.threads, ips);
    long fdLimit = maxFileDescriptors();
    if (fdLimit > 0 && fdLimit < conns + 200L) {
      out.println(
          "WARNING: this process may open only "
              + fdLimit
              + " files but the run needs about "
              + (conns + 200)
              + " connections: raise it first (ulimit -n "
              + Math.max(65_536, conns * 2)
              + ").");
    }
    this.roomPrefix =
        args.roomPrefix != null
            ? args.roomPrefix
            : "bench-"
                + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36).substring(0, 6);
  }

  static long maxFileDescriptors() {
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean u) {
      return u.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /** CPU of this (client) process, or null when /proc is unavailable. */
  static ProcStats.CpuSnapshot selfCpu() {
    try {
      return ProcStats.readCpu(ProcessHandle.current().pid());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- progress

  void startProgress(Supplier<String> extra) {
    ticker.scheduleAtFixedRate(
        () -> {
          try {
            Histogram h = progressLatency.getIntervalHistogram();
            String p99 =
                h.getTotalCount() == 0
                    ? "-"
                    : String.format(Locale.ROOT, "%.2fms", h.getValueAtPercentile(99) / 1000.0);
            out.printf(
                Locale.ROOT,
                "[%5.0fs %-14s] connected=%d pending=%d ready=%d/%d failed=%d sent=%d recv=%d p99=%s%s%s%n",
                (System.nanoTime() - t0) / 1e9,
                stage,
                connected.get(),
                pending.get(),
                readyRooms.get(),
                rooms.size(),
                connectFailures.intValue(),
                totalSent.sum(),
                totalReceived.sum(),
                p99,
                extra == null ? "" : extra.get(),
                rateLimited.sum() > 0 ? " RATE-LIMITED=" + rateLimited.sum() : "");
          } catch (RuntimeException e) {
            out.println("progress: " + e);
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- connecting

  URI roomUri(URI base, String roomId) {
    String path =
        base.getRawPath() == null || base.getRawPath().isEmpty() ? "/" : base.getRawPath();
    return URI.create(
        "ws://"
            + base.getHost()
            + ":"
            + (base.getPort() > 0 ? base.getPort() : 80)
            + path
            + "?roomId="
            + roomId);
  }

  void connectMember(Room.Member m, URI base) {
    firstConnectNanos.compareAndSet(0, System.nanoTime());
    pending.incrementAndGet();
    // The attachment goes in with the connect: the handshake runs on an event loop and onOpen may
    // fire before connect() returns, so setting it afterwards left a rejoin (seen when this thread
    // was descheduled) without its sync, stuck JOINING for good.
    m.client = connector.connect(roomUri(base, m.room.id), this, m);
  }

  /**
   * Opens {@code count} rooms (both members) paced by --connect-rate and --max-pending, then waits
   * until every room is confirmed or has failed. Returns the seconds it took.
   */
  double openRooms(int count, URI urlA, URI urlB) throws InterruptedException {
    stage = "connecting";
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      rooms.add(new Room(i, roomPrefix + "-" + i));
    }
    double perNano = args.connectRate / 1e9;
    long started = 0;
    for (Room r : rooms) {
      for (int k = 0; k < 2; k++) {
        while (true) {
          long allowed = (long) ((System.nanoTime() - start) * perNano) + 1;
          if (started < allowed && pending.get() < args.maxPending) {
            break;
          }
          Thread.sleep(1);
        }
        connectMember(k == 0 ? r.a : r.b, k == 0 ? urlA : urlB);
        started++;
      }
    }
    stage = "confirming";
    long deadline = System.nanoTime() + SYNC_TIMEOUT_NANOS + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      int done = 0;
      for (Room r : rooms) {
        if (r.state != Room.State.OPENING) {
          done++;
        }
      }
      if (done == rooms.size()) {
        break;
      }
      Thread.sleep(20);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  @Override
  public void onOpen(WsClient c) {
    long now = System.nanoTime();
    pending.decrementAndGet();
    connected.incrementAndGet();
    lastOpenNanos.set(now);
    handshake.recordValue(LatencySummary.clampMicros((now - c.connectStartNanos) / 1000));
    Room.Member m = (Room.Member) c.attachment;
    if (m == null) {
      return;
    }
    if (m.client == null) {
      m.client = c; // opened before connect() returned and its caller stored it
    }
    if (m.closing) {
      c.close(); // given up on (a churn retry) while it was still connecting: not left in the room
      return;
    }
    if (!m.first) {
      startSync(m.room, m, c);
    }
  }

  /**
   * Member 2 sends a sync message until member 1 answers, with exponential backoff (20 ms doubling
   * to 1 s) so that unconfirmed rooms do not become a load of their own.
   */
  private void startSync(Room r, Room.Member m, WsClient c) {
    long startedAt = System.nanoTime();
    synchronized (r) {
      if (r.syncTask != null) {
        r.syncTask.cancel(false);
      }
      r.syncTask = null;
    }
    syncStep(r, m, c, startedAt, SYNC_INTERVAL_NANOS);
  }

  private void syncStep(Room r, Room.Member m, WsClient c, long startedAt, long interval) {
    Room.State st = r.state;
    if (r.b != m || st == Room.State.READY || st == Room.State.FAILED || !c.isOpen()) {
      return;
    }
    long timeout = st == Room.State.JOINING ? REJOIN_SYNC_TIMEOUT_NANOS : SYNC_TIMEOUT_NANOS;
    if (System.nanoTime() - startedAt > timeout) {
      syncTimeouts.increment();
      onSyncTimeout(r, m);
      return;
    }
    c.send(Wire.sync());
    long nextInterval = Math.min(interval * 2, SYNC_MAX_INTERVAL_NANOS);
    synchronized (r) {
      if (r.b == m) {
        r.syncTask =
            c.channel()
                .eventLoop()
                .schedule(
                    () -> syncStep(r, m, c, startedAt, nextInterval),
                    interval,
                    TimeUnit.NANOSECONDS);
      }
    }
  }

  private void onSyncTimeout(Room r, Room.Member m) {
    Churn ch = churn;
    if (ch != null && r.state == Room.State.JOINING) {
      ch.retryJoin(r, m);
    } else if (r.state == Room.State.OPENING) {
      r.state = Room.State.FAILED;
    }
  }

  @Override
  public void onText(WsClient c, String text) {
    long now = System.nanoTime();
    Room.Member m = (Room.Member) c.attachment;
    Wire.Parsed p = Wire.parse(text);
    switch (p.kind()) {
      case BENCH -> onBench(m, p.seq(), p.sendNanos(), now);
      case SYNC -> c.send(Wire.syncAck());
      case SYNC_ACK -> onSyncAck(m, now);
      case PEER_DISCONNECTED -> {
        peerDisconnected.increment();
        Churn ch = churn;
        if (ch != null) {
          ch.onPeerLeft(m.room, now);
        }
      }
      case RATE_LIMITED -> {
        rateLimited.increment();
        if (rateLimitWarned.compareAndSet(false, true)) {
          out.println(
              "WARNING: the server answered {\"type\":\"control\",\"action\":\"rate-limited\"}: "
                  + "it is rate limiting this load, so loss and latency are not the relay's own. "
                  + "Lower --rate or raise RATE_LIMIT_MESSAGES_PER_10S on the server.");
        }
      }
      case SERVER_ERROR -> {
        serverErrors.increment();
        if (serverErrorWarned.compareAndSet(false, true)) {
          out.println("WARNING: the server rejected a message: " + text);
        }
      }
      default -> otherMessages.increment();
    }
  }

  private void onSyncAck(Room.Member m, long now) {
    Room r = m.room;
    if (m.first || r.b != m) {
      return;
    }
    Room.State before;
    synchronized (r) {
      before = r.state;
      if (r.b != m || before == Room.State.READY || before == Room.State.LEAVING) {
        return;
      }
      r.state = Room.State.READY;
      r.readyNanos = now;
      // Under the same lock: once READY is visible, a churn leave and rejoin may install the next
      // member's sync task, which a cancel after the unlock would kill.
      if (r.syncTask != null) {
        r.syncTask.cancel(false);
        r.syncTask = null;
      }
    }
    readyRooms.incrementAndGet();
    Churn ch = churn;
    if (ch != null && before == Room.State.JOINING) {
      ch.onJoined(r, now);
    }
  }

  void onBench(Room.Member m, long seq, long sendNanos, long now) {
    totalReceived.increment();
    long micros = LatencySummary.clampMicros((now - sendNanos) / 1000);
    progressLatency.recordValue(micros);
    boolean ooo = m.received.onReceive(seq);
    Phase ph = phase;
    if (ph != null && ph.inWindow(sendNanos)) {
      ph.received.increment();
      ph.latency.recordValue(micros);
      if (ooo) {
        ph.outOfOrder.increment();
      }
    }
  }

  @Override
  public void onClosed(WsClient c, boolean wasOpen, int closeCode, String reason, Throwable cause) {
    Room.Member m = (Room.Member) c.attachment;
    if (wasOpen) {
      connected.decrementAndGet();
    } else {
      pending.decrementAndGet();
      connectFailures.increment();
    }
    boolean expected = m != null && m.closing;
    if (!expected) {
      if (wasOpen) {
        unexpectedCloses.increment();
      }
      String key =
          (wasOpen ? "closed " : "failed ")
              + (closeCode >= 0
                  ? closeCode + " " + reason
                  : cause != null
                      ? cause.getClass().getSimpleName() + ": " + cause.getMessage()
                      : "without close frame");
      closeReasons.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
    if (m == null) {
      return;
    }
    Room r = m.room;
    if (m.sender != null) {
      m.sender.cancel(false);
    }
    if (!m.first && r.b == m) {
      Room.State st = r.state;
      if (st == Room.State.READY && !expected) {
        readyRooms.decrementAndGet();
        r.state = Room.State.FAILED;
      } else if (st == Room.State.OPENING) {
        r.state = Room.State.FAILED;
      } else if (st == Room.State.JOINING && churn != null) {
        churn.retryJoin(r, m);
      }
    } else if (m.first && !expected) {
      if (r.state == Room.State.READY) {
        readyRooms.decrementAndGet();
      }
      r.state = Room.State.FAILED;
    }
  }

  /** How many rooms are in each state, for the results (and for diagnosing stuck rooms). */
  String roomStates() {
    Map<Room.State, Integer> counts = new java.util.EnumMap<>(Room.State.class);
    for (Room r : rooms) {
      counts.merge(r.state, 1, Integer::sum);
    }
    return counts.toString();
  }

  List<Room> ready() {
    List<Room> out = new ArrayList<>();
    for (Room r : rooms) {
      if (r.state == Room.State.READY) {
        out.add(r);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- relay

  void startSender(Room.Member m, double ratePerSender, String padding) {
    WsClient c = m.client;
    long period = Math.max(1000, Math.round(1e9 / ratePerSender));
    long delay = ThreadLocalRandom.current().nextLong(period);
    c.channel()
        .eventLoop()
        .execute(
            () -> {
              m.periodNanos = period;
              m.firstSendNanos = System.nanoTime() + delay;
              long base = m.nextSeq;
              m.sender =
                  c.channel()
                      .eventLoop()
                      .scheduleAtFixedRate(
                          () -> {
                            long now = System.nanoTime();
                            long seq = m.nextSeq++;
                            Phase ph = phase;
                            boolean in = ph != null && ph.inWindow(now);
                            if (c.send(Wire.bench(seq, now, padding))) {
                              totalSent.increment();
                              if (in) {
                                ph.sent.increment();
                                long intended = m.firstSendNanos + (seq - base) * m.periodNanos;
                                ph.sendLag.recordValue(
                                    LatencySummary.clampMicros((now - intended) / 1000));
                              }
                            } else {
                              totalDropped.increment();
                              if (in) {
                                ph.dropped.increment();
                              }
                            }
                          },
                          delay,
                          period,
                          TimeUnit.NANOSECONDS);
            });
  }

  void stopSenders() throws InterruptedException {
    // Each sender lives on its connection's event loop: cancel it there and wait until every loop
    // has done so, so no message is sent after this returns.
    List<io.netty.util.concurrent.Future<?>> cancelled = new ArrayList<>();
    for (Room r : rooms) {
      for (Room.Member m : new Room.Member[] {r.a, r.b}) {
        WsClient c = m.client;
        if (c != null && c.channel() != null) {
          cancelled.add(
              c.channel()
                  .eventLoop()
                  .submit(
                      () -> {
                        if (m.sender != null) {
                          m.sender.cancel(false);
                          m.sender = null;
                        }
                      }));
        }
      }
    }
    for (io.netty.util.concurrent.Future<?> f : cancelled) {
      f.await(1, TimeUnit.SECONDS);
    }
  }

  static void sleepUntil(long nanos) throws InterruptedException {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 200_000_000L));
    }
  }

  // ---------------------------------------------------------------- server probes

  List<ProcStats.CpuSnapshot> cpu() {
    List<ProcStats.CpuSnapshot> s = new ArrayList<>();
    for (long pid : args.serverPids) {
      try {
        s.add(ProcStats.readCpu(pid));
      } catch (IOException | RuntimeException e) {
        s.add(null);
      }
    }
    return s;
  }

  /** Ticks of every JIT compiler thread of the --server-pid processes, or null. */
  Map<String, Long> jitTicks() {
    if (args.serverPids.isEmpty()) {
      return null;
    }
    Map<String, Long> all = new HashMap<>();
    for (long pid : args.serverPids) {
      try {
        all.putAll(ProcStats.readJitTicks(pid));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
    return all;
  }

  /** Sum of VmRSS over --server-pid, or -1 when unavailable. */
  long rssBytes() {
    if (args.serverPids.isEmpty()) {
      return -1;
    }
    long sum = 0;
    for (long pid : args.serverPids) {
      try {
        OptionalLong v = ProcStats.readRssBytes(pid);
        if (v.isEmpty()) {
          return -1;
        }
        sum += v.getAsLong();
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
    return sum;
  }

  /** GC totals summed over the servers' metrics, or null when any is unavailable. */
  PrometheusText.GcTotals gcTotals() {
    PrometheusText.GcTotals sum = new PrometheusText.GcTotals(0, 0);
    for (URI s : metricsServers()) {
      Optional<PrometheusText.GcTotals> v = PrometheusText.fetchGcTotals(args.metricsUrlFor(s));
      if (v.isEmpty()) {
        return null;
      }
      sum = sum.plus(v.get());
    }
    return sum;
  }

  /** The servers whose metrics are read: both instances, unless one --metrics-url is given. */
  private List<URI> metricsServers() {
    List<URI> servers = new ArrayList<>();
    servers.add(args.url);
    if (args.url2 != null && args.metricsUrl == null) {
      servers.add(args.url2);
    }
    return servers;
  }

  /** Sum of used heap over the servers' metrics, or NaN when unavailable. */
  double heapBytes() {
    double sum = 0;
    for (URI s : metricsServers()) {
      OptionalDouble v = PrometheusText.fetchUsedHeapBytes(args.metricsUrlFor(s));
      if (v.isEmpty()) {
        return Double.NaN;
      }
      sum += v.getAsDouble();
    }
    return sum;
  }

  /** CPU between two cpu() samples: total seconds, or NaN when any sample is missing. */
  static double cpuSeconds(
      List<ProcStats.CpuSnapshot> before, List<ProcStats.CpuSnapshot> after, long clk) {
    if (before.isEmpty() || before.size() != after.size()) {
      return Double.NaN;
    }
    double s = 0;
    for (int i = 0; i < before.size(); i++) {
      if (before.get(i) == null || after.get(i) == null) {
        return Double.NaN;
      }
      s += ProcStats.cpuSeconds(before.get(i), after.get(i), clk);
    }
    return s;
  }

  /**
   * The kernel's share of the CPU time of all the servers between the snapshots (see {@link
   * ProcStats#kernelShare}); NaN when a server could not be read or used no CPU.
   */
  static double kernelShare(List<ProcStats.CpuSnapshot> before, List<ProcStats.CpuSnapshot> after) {
    if (before.isEmpty() || before.size() != after.size()) {
      return Double.NaN;
    }
    long utime = 0;
    long stime = 0;
    for (int i = 0; i < before.size(); i++) {
      if (before.get(i) == null || after.get(i) == null) {
        return Double.NaN;
      }
      long u = after.get(i).utimeTicks() - before.get(i).utimeTicks();
      long k = after.get(i).stimeTicks() - before.get(i).stimeTicks();
      if (u < 0 || k < 0) {
        return Double.NaN; // that server restarted in between: no share to speak of
      }
      utime += u;
      stime += k;
    }
    return ProcStats.kernelShare(
        new ProcStats.CpuSnapshot(0, 0, 0), new ProcStats.CpuSnapshot(utime, stime, 0));
  }

  Map<String, Object> errorSummary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("connectFailures", connectFailures.sum());
    m.put("unexpectedCloses", unexpectedCloses.sum());
    m.put("syncTimeouts", syncTimeouts.sum());
    m.put("rateLimitedReplies", rateLimited.sum());
    m.put("serverErrorReplies", serverErrors.sum());
    m.put("sendsDroppedSocketFull", totalDropped.sum());
    Map<String, Object> reasons = new LinkedHashMap<>();
    closeReasons.forEach((k, v) -> reasons.put(k, v.sum()));
    m.put("closeReasons", reasons);
    return m;
  }

  void addWarnings(RunResult res) {
    if (rateLimited.sum() > 0) {
      res.warnings.add(
          "The server sent "
              + rateLimited.sum()
              + " rate-limited replies: its rate limiter, not the relay, shaped this run.");
    }
    if (connectFailures.sum() > 0) {
      res.warnings.add(
          connectFailures.sum() + " connections failed to open (see summary.closeReasons).");
    }
    if (unexpectedCloses.sum() > 0) {
      res.warnings.add(
          unexpectedCloses.sum()
              + " open connections were closed unexpectedly (see summary.closeReasons).");
    }
    if (syncTimeouts.sum() > 0) {
      res.warnings.add(
          syncTimeouts.sum()
              + " rooms were not confirmed within "
              + SYNC_TIMEOUT_NANOS / 1_000_000_000L
              + " s.");
    }
    if (totalDropped.sum() > 0) {
      res.warnings.add(
          totalDropped.sum()
              + " sends were skipped because the socket buffer was full (the server did not read fast enough); they are not counted as sent.");
    }
    if (serverErrors.sum() > 0) {
      res.warnings.add(
          serverErrors.sum()
              + " schema-error/invalid-json replies: the server rejected bench messages.");
    }
  }

  void closeAll() throws InterruptedException {
    stage = "closing";
    Churn ch = churn;
    if (ch != null) {
      ch.stop();
    }
    for (Room r : rooms) {
      for (Room.Member m : new Room.Member[] {r.a, r.b}) {
        m.closing = true;
        WsClient c = m.client;
        if (c != null) {
          c.close();
        }
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while ((connected.get() > 0 || pending.get() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    connector.close();
  }

  // ---------------------------------------------------------------- churn

  /** Leave-and-rejoin driver for the churn scenario. */
  final class Churn {
    final URI urlB;
    final LongAdder leaves = new LongAdder();
    final LongAdder joins = new LongAdder();
    final LongAdder joinsInWindow = new LongAdder();
    final LongAdder joinRetries = new LongAdder();
    final LongAdder leaveTimeouts = new LongAdder();
    final LongAdder skippedBusy = new LongAdder();
    final Recorder joinLatency = new Recorder(1, 3_600_000_000L, 3);
    volatile boolean stopped;
    private int cursor;
    private double budget;
    private long lastTick;

    Churn(URI urlB) {
      this.urlB = urlB;
    }

    /** Called every 10 ms on the ticker thread: starts as many leaves as --join-rate allows. */
    void tick() {
      if (stopped) {
        return;
      }
      long now = System.nanoTime();
      if (lastTick == 0) {
        lastTick = now;
        return;
      }
      budget += args.joinRate * (now - lastTick) / 1e9;
      lastTick = now;
      while (budget >= 1) {
        budget -= 1;
        Room r = nextReady();
        if (r == null) {
          skippedBusy.increment();
          budget = Math.min(budget, 1);
          return;
        }
        leave(r, now);
      }
    }

    private Room nextReady() {
      for (int i = 0; i < rooms.size(); i++) {
        Room r = rooms.get(cursor);
        cursor = (cursor + 1) % rooms.size();
        if (r.state == Room.State.READY) {
          return r;
        }
      }
      return null;
    }

    private void leave(Room r, long now) {
      Room.Member m;
      synchronized (r) {
        if (r.state != Room.State.READY) {
          return;
        }
        r.state = Room.State.LEAVING;
        r.leaveStartNanos = now;
        m = r.b;
        m.closing = true;
      }
      readyRooms.decrementAndGet();
      leaves.increment();
      m.client.close();
      ticker.schedule(
          () -> {
            if (r.state == Room.State.LEAVING && r.leaveStartNanos == now) {
              leaveTimeouts.increment();
              rejoin(r, System.nanoTime(), true);
            }
          },
          LEAVE_TIMEOUT_NANOS,
          TimeUnit.NANOSECONDS);
    }

    void onPeerLeft(Room r, long now) {
      synchronized (r) {
        if (r.state != Room.State.LEAVING) {
          return;
        }
      }
      Phase ph = phase;
      if (ph != null && ph.inWindow(r.leaveStartNanos)) {
        ph.leave.recordValue(LatencySummary.clampMicros((now - r.leaveStartNanos) / 1000));
      }
      rejoin(r, now, true);
    }

    private void rejoin(Room r, long now, boolean first) {
      Room.Member m;
      synchronized (r) {
        if (first) {
          if (r.state != Room.State.LEAVING || stopped) {
            return;
          }
          r.joinStartNanos = now;
          r.joinAttempts = 0;
        }
        r.state = Room.State.JOINING;
        r.joinAttempts++;
        m = new Room.Member(r, false);
        r.b = m;
      }
      connectMember(m, urlB);
    }

    /** The joining member failed (closed, refused, or not confirmed): try again shortly. */
    void retryJoin(Room r, Room.Member failed) {
      synchronized (r) {
        if (r.b != failed || r.state != Room.State.JOINING || stopped) {
          return;
        }
        failed.closing = true;
      }
      joinRetries.increment();
      WsClient c = failed.client;
      if (c != null) {
        c.close();
      }
      ticker.schedule(
          () -> {
            synchronized (r) {
              if (r.b != failed || r.state != Room.State.JOINING || stopped) {
                return;
              }
            }
            rejoin(r, 0, false);
          },
          100,
          TimeUnit.MILLISECONDS);
    }

    void onJoined(Room r, long now) {
      joins.increment();
      Phase ph = phase;
      if (ph != null && ph.inWindow(r.joinStartNanos)) {
        joinsInWindow.increment();
        joinLatency.recordValue(LatencySummary.clampMicros((now - r.joinStartNanos) / 1000));
      }
    }

    void stop() {
      stopped = true;
    }
  }
}
