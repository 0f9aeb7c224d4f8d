package dev.switchboard.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Entry point: {@code java -jar switchboard-bench.jar SCENARIO [options]}. */
public final class Main {

  private Main() {}

  public static void main(String[] argv) throws Exception {
    System.setProperty("java.awt.headless", "true");
    BenchArgs args;
    try {
      args = BenchArgs.parse(argv);
    } catch (BenchArgs.UsageException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println();
      System.err.println(BenchArgs.USAGE);
      System.exit(2);
      return;
    }
    if (args.help) {
      System.out.println(BenchArgs.USAGE);
      return;
    }
    int code;
    try {
      code = run(args, System.out);
    } catch (BenchArgs.UsageException e) {
      System.err.println("error: " + e.getMessage());
      code = 2;
    }
    System.exit(code);
  }

  static int run(BenchArgs args, PrintStream out) throws Exception {
    String startedAt =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    RunResult res = new RunResult(args.scenario.id(), startedAt + "Z");
    try (Bench b = new Bench(args, out)) {
      fillParameters(args, b, res);
      out.println(
          "switchboard-bench "
              + args.scenario.id()
              + " against "
              + args.url
              + (args.url2 != null ? " and " + args.url2 : "")
              + ", rooms prefixed "
              + b.roomPrefix
              + (b.connector.sourceIps().isEmpty()
                  ? ""
                  : ", source addresses " + b.connector.sourceIps().size()));
      switch (args.scenario) {
        case CONNECTIONS -> connections(args, b, res);
        case RELAY, CROSS -> relay(args, b, res);
        case CHURN -> churn(args, b, res);
        default -> throw new IllegalStateException();
      }
      res.summary.putAll(b.errorSummary());
      b.addWarnings(res);
      b.closeAll();
    }
    Path dir = args.out != null ? args.out : defaultResultsDir().resolve(startedAt);
    write(
        res,
        dir,
        args.scenario == BenchArgs.Scenario.RELAY || args.scenario == BenchArgs.Scenario.CROSS);
    out.println();
    out.print(MarkdownWriter.table(res.rows));
    if (!res.baseline.isEmpty()) {
      out.println();
      out.println("Against the baseline (cpuEfficiency = baseline CPU/msg / ours):");
      out.print(MarkdownWriter.table(res.baseline));
    }
    for (String w : res.warnings) {
      out.println("WARNING: " + w);
    }
    out.println("results: " + dir.toAbsolutePath());
    return 0;
  }

  static void fillParameters(BenchArgs a, Bench b, RunResult res) {
    Map<String, Object> p = res.parameters;
    p.put("scenario", a.scenario.id());
    p.put("url", a.url.toString());
    if (a.url2 != null) {
      p.put("url2", a.url2.toString());
    }
    if (a.scenario == BenchArgs.Scenario.CONNECTIONS) {
      p.put("clients", a.clients);
    } else {
      p.put("rooms", a.rooms);
    }
    if (a.scenario == BenchArgs.Scenario.RELAY || a.scenario == BenchArgs.Scenario.CROSS) {
      p.put("ratePerMember", a.rateSteps.isEmpty() ? a.rate : null);
      p.put("offeredSteps", new ArrayList<Object>(a.offeredSteps()));
      p.put("payloadBytes", a.payloadBytes);
      p.put("drainS", a.drainNanos / 1e9);
    }
    if (a.scenario == BenchArgs.Scenario.CHURN) {
      p.put("joinRate", a.joinRate);
    }
    p.put("durationS", a.durationNanos / 1e9);
    p.put("warmupS", a.warmupNanos / 1e9);
    p.put("connectRate", a.connectRate);
    p.put("maxPending", a.maxPending);
    p.put("threads", a.threads);
    List<Object> ips = new ArrayList<>();
    for (InetAddress ip : b.connector.sourceIps()) {
      ips.add(ip.getHostAddress());
    }
    p.put("sourceIps", ips);
    p.put("serverPids", new ArrayList<Object>(a.serverPids));
    p.put("roomPrefix", b.roomPrefix);
    p.put("clientCores", Runtime.getRuntime().availableProcessors());
    p.put("clientJava", System.getProperty("java.version"));
    p.put("commandLine", new LinkedHashMap<String, Object>(a.given));
  }

  // ---------------------------------------------------------------- connections

  /** How long one forced GC may take in a server (a full GC of a few GiB takes seconds). */
  static final Duration FORCED_GC_TIMEOUT = Duration.ofSeconds(60);

  static void connections(BenchArgs a, Bench b, RunResult res) throws InterruptedException {
    long rss0 = b.rssBytes();
    boolean forceGc = a.forceGc && !a.serverPids.isEmpty();
    List<String> gcFailures = new ArrayList<>();
    if (forceGc) {
      gcFailures.addAll(ServerGc.run(a.serverPids, FORCED_GC_TIMEOUT));
    }
    double heap0 = b.heapBytes();
    b.startProgress(null);
    List<ProcStats.CpuSnapshot> cpu0 = b.cpu();
    Map<String, Long> jit0 = b.jitTicks();
    double openSeconds = b.openRooms(a.clients / 2, a.url, a.secondMemberUrl());
    List<ProcStats.CpuSnapshot> cpu1 = b.cpu();
    Map<String, Long> jit1 = b.jitTicks();
    int opened = b.connected.get();
    long firstStart = b.firstConnectNanos.get();
    long lastOpen = b.lastOpenNanos.get();
    double connectSpan = lastOpen > firstStart ? (lastOpen - firstStart) / 1e9 : Double.NaN;
    long rss1 = b.rssBytes();
    double heap1 = b.heapBytes();
    b.stage = "holding";
    long holdEnd = System.nanoTime() + a.durationNanos;
    Bench.sleepUntil(holdEnd);
    int stillConnected = b.connected.get();
    long rss2 = b.rssBytes();
    if (forceGc && gcFailures.isEmpty()) {
      gcFailures.addAll(ServerGc.run(a.serverPids, FORCED_GC_TIMEOUT));
    }
    double heap2 = b.heapBytes();
    boolean heapAfterGc = forceGc && gcFailures.isEmpty();

    Map<String, Object> row = new LinkedHashMap<>();
    row.put("clients", a.clients);
    row.put("opened", opened);
    row.put("roomsConfirmed", b.ready().size());
    row.put("stillConnected", stillConnected);
    row.put("closedDuringHold", opened - stillConnected);
    row.put("connectPerS", Double.isNaN(connectSpan) ? Double.NaN : opened / connectSpan);
    row.put("openAndConfirmS", openSeconds);
    row.putAll(LatencySummary.of(b.handshake.getIntervalHistogram()).toMap("handshake"));
    // What opening costs the server: handshake, join and the room's confirmation, per connection.
    double connectCpuS = Bench.cpuSeconds(cpu0, cpu1, ProcStats.clockTicksPerSecond());
    row.put("connectServerCpuS", connectCpuS);
    row.put(
        "serverCpuUsPerConnection",
        Double.isNaN(connectCpuS) || opened == 0 ? Double.NaN : connectCpuS * 1e6 / opened);
    row.put("connectKernelShare", Bench.kernelShare(cpu0, cpu1));
    double connectJitS = ProcStats.jitSeconds(jit0, jit1);
    row.put("connectJitShare", connectCpuS > 0 ? connectJitS / connectCpuS : Double.NaN);
    if (connectCpuS > 0
        && !Double.isNaN(connectJitS)
        && connectJitS > JIT_WARNING_SHARE * connectCpuS) {
      res.warnings.add(
          String.format(
              Locale.ROOT,
              "the server's JIT compiler threads used %.0f%% of its CPU while the clients connected:"
                  + " CPU per connection is overstated. Connect once to warm the server up and"
                  + " measure a second run.",
              100 * connectJitS / connectCpuS));
    }
    row.put("serverRssBeforeMiB", mib(rss0));
    row.put("serverRssConnectedMiB", mib(rss1));
    row.put("serverRssAfterHoldMiB", mib(rss2));
    row.put(
        "rssPerConnKiB",
        rss0 >= 0 && rss2 >= 0 && stillConnected > 0
            ? (rss2 - rss0) / 1024.0 / stillConnected
            : Double.NaN);
    row.put("serverHeapBeforeMiB", heap0 / 1048576.0);
    row.put("serverHeapAfterHoldMiB", heap2 / 1048576.0);
    if (rss0 >= 0 && rss2 < rss0 + 1024L * stillConnected) {
      res.warnings.add(
          "server RSS grew by less than 1 KiB per connection: the JVM likely reused memory freed from an earlier run; "
              + "measure memory per connection on a freshly started server.");
    }
    row.put(
        "heapPerConnKiB",
        !Double.isNaN(heap0) && !Double.isNaN(heap2) && stillConnected > 0
            ? (heap2 - heap0) / 1024.0 / stillConnected
            : Double.NaN);
    row.put("heapAfterForcedGc", heapAfterGc);
    res.rows.add(row);
    res.summary.put("serverHeapConnectedMiB", heap1 / 1048576.0);
    if (!a.serverPids.isEmpty() && rss0 < 0) {
      res.warnings.add(
          "server RSS unavailable: could not read /proc/<pid>/status for " + a.serverPids);
    }
    if (Double.isNaN(heap0) || Double.isNaN(heap2)) {
      res.warnings.add(
          "server heap unavailable: no memory_usedHeap_bytes in " + a.metricsUrlFor(a.url));
    } else if (!heapAfterGc) {
      res.warnings.add(
          "heap per connection is used heap after minus before, without forcing a GC"
              + (gcFailures.isEmpty()
                  ? (a.serverPids.isEmpty() ? " (no --server-pid)" : " (--force-gc no)")
                  : " (" + String.join("; ", gcFailures) + ")")
              + ": treat it as rough.");
    }
  }

  static double mib(long bytes) {
    return bytes < 0 ? Double.NaN : bytes / 1048576.0;
  }

  // ---------------------------------------------------------------- relay / cross

  static void relay(BenchArgs a, Bench b, RunResult res) throws InterruptedException {
    b.startProgress(
        () -> {
          Bench.Phase p = b.phase;
          return p == null ? "" : " window sent=" + p.sent.sum() + " recv=" + p.received.sum();
        });
    URI urlB = a.secondMemberUrl();
    List<Room> ready = openRelayRooms(a, b, a.url, urlB, res, "");
    if (ready == null) {
      return;
    }
    Bench base = null;
    try {
      List<Room> baseReady = null;
      if (a.baselineUrl != null) {
        Bench bb = new Bench(a.forBaseline(), b.out);
        base = bb;
        b.out.println("baseline: " + a.baselineUrl + ", rooms prefixed " + bb.roomPrefix);
        bb.startProgress(
            () -> {
              Bench.Phase p = bb.phase;
              return " baseline"
                  + (p == null ? "" : " window sent=" + p.sent.sum() + " recv=" + p.received.sum());
            });
        baseReady = openRelayRooms(a, base, a.baselineUrl, a.baselineUrl, res, "baseline: ");
      }
      String padding = Wire.padding(a.payloadBytes);
      List<LatencyPlot.Point> points = new ArrayList<>();
      List<LatencyPlot.Point> basePoints = new ArrayList<>();
      List<Double> steps = a.offeredSteps();
      for (int s = 0; s < steps.size(); s++) {
        Map<String, Object> row =
            step(a, b, ready, s, steps, padding, base == null ? null : "switchboard", res);
        points.add(point(row));
        if (baseReady != null) {
          b.stage = "idle while the baseline runs";
          // Measured right after the same step against --url, on the same server process and
          // machine state, so the ratio holds on a noisy machine better than two separate runs.
          Map<String, Object> baseRow =
              step(a, base, baseReady, s, steps, padding, "baseline", res);
          basePoints.add(point(baseRow));
          res.baseline.add(ratios(row, baseRow));
        }
      }
      b.phase = null;
      res.summary.put("plotPoints", points.size());
      res.plot = points;
      if (!basePoints.isEmpty()) {
        res.basePlot = basePoints;
      }
    } finally {
      if (base != null) {
        for (Map.Entry<String, Object> e : base.errorSummary().entrySet()) {
          String k = e.getKey();
          res.summary.put(
              "baseline" + Character.toUpperCase(k.charAt(0)) + k.substring(1), e.getValue());
        }
        base.closeAll();
        base.close();
      }
    }
  }

  /** Opens the rooms of a relay run; null (with a warning) when none was confirmed. */
  static List<Room> openRelayRooms(
      BenchArgs a, Bench b, URI urlA, URI urlB, RunResult res, String label)
      throws InterruptedException {
    b.openRooms(a.rooms, urlA, urlB);
    List<Room> ready = b.ready();
    if (ready.isEmpty()) {
      res.warnings.add(label + "no room was confirmed: nothing to measure");
      return null;
    }
    if (ready.size() < a.rooms) {
      res.warnings.add(
          label
              + "only "
              + ready.size()
              + " of "
              + a.rooms
              + " rooms were confirmed; load was spread over those");
    }
    return ready;
  }

  static LatencyPlot.Point point(Map<String, Object> row) {
    return new LatencyPlot.Point(
        (double) row.get("offeredMsgsPerS"),
        (double) row.get("p50Ms"),
        (double) row.get("p99Ms"),
        (double) row.get("p999Ms"));
  }

  /**
   * One step's figures against the baseline's, as ratios. {@code cpuEfficiency} is baseline CPU per
   * message over ours (1 = as cheap as the bare endpoint; the issue asks at least 0.7); {@code
   * deliveredRatio} is delivered msgs/s over the baseline's; {@code p99Ratio} ours over the
   * baseline's.
   */
  /** How early before the window the GC totals are scraped. */
  static final long GC_SCRAPE_LEAD_NANOS = 300_000_000L;

  /**
   * The collections between two scrapes, or null when either is missing or they do not add up (a
   * NaN, or fewer collections afterwards: the server restarted in between).
   */
  static PrometheusText.GcTotals gcBetween(
      PrometheusText.GcTotals before, PrometheusText.GcTotals after) {
    if (before == null || after == null) {
      return null;
    }
    PrometheusText.GcTotals d = after.minus(before);
    return d.collections() >= 0 && d.seconds() >= 0 ? d : null;
  }

  static Map<String, Object> ratios(Map<String, Object> ours, Map<String, Object> base) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", ours.get("step"));
    r.put("offeredMsgsPerS", ours.get("offeredMsgsPerS"));
    r.put("cpuUsPerMsg", ours.get("serverCpuUsPerMsg"));
    r.put("baselineCpuUsPerMsg", base.get("serverCpuUsPerMsg"));
    r.put("cpuEfficiency", ratio(base.get("serverCpuUsPerMsg"), ours.get("serverCpuUsPerMsg")));
    r.put("kernelShare", ours.get("serverKernelShare"));
    r.put("baselineKernelShare", base.get("serverKernelShare"));
    r.put("deliveredPerS", ours.get("deliveredPerS"));
    r.put("baselineDeliveredPerS", base.get("deliveredPerS"));
    r.put("deliveredRatio", ratio(ours.get("deliveredPerS"), base.get("deliveredPerS")));
    r.put("p50Ms", ours.get("p50Ms"));
    r.put("baselineP50Ms", base.get("p50Ms"));
    r.put("p99Ms", ours.get("p99Ms"));
    r.put("baselineP99Ms", base.get("p99Ms"));
    r.put("p99Ratio", ratio(ours.get("p99Ms"), base.get("p99Ms")));
    r.put("gcCount", ours.get("serverGcCount"));
    r.put("baselineGcCount", base.get("serverGcCount"));
    r.put("gcMeanPauseMs", ours.get("serverGcMeanPauseMs"));
    r.put("baselineGcMeanPauseMs", base.get("serverGcMeanPauseMs"));
    return r;
  }

  static double ratio(Object num, Object den) {
    double n = ((Number) num).doubleValue();
    double d = ((Number) den).doubleValue();
    return Double.isNaN(n) || Double.isNaN(d) || d == 0 ? Double.NaN : n / d;
  }

  /** Runs step {@code s} (warm-up, measured window, drain) and adds its row to the results. */
  static Map<String, Object> step(
      BenchArgs a,
      Bench b,
      List<Room> ready,
      int s,
      List<Double> steps,
      String padding,
      String target,
      RunResult res)
      throws InterruptedException {
    long clk = ProcStats.clockTicksPerSecond();
    String label = target == null ? "" : target + " ";
    double offered = steps.get(s);
    double perSender = offered / (2.0 * ready.size());
    long start = System.nanoTime();
    long from = start + a.warmupNanos;
    long to = from + a.durationNanos;
    Bench.Phase ph = new Bench.Phase("step " + (s + 1), from, to);
    b.phase = ph;
    b.stage = label + "step " + (s + 1) + "/" + steps.size() + " warmup";
    for (Room r : ready) {
      b.startSender(r.a, perSender, padding);
      b.startSender(r.b, perSender, padding);
    }
    // The GC totals are scraped just before the window (a scrape costs the server CPU), so that
    // the CPU snapshots are still taken on time.
    Bench.sleepUntil(from - GC_SCRAPE_LEAD_NANOS);
    PrometheusText.GcTotals gc0 = b.gcTotals();
    Bench.sleepUntil(from);
    b.stage = label + "step " + (s + 1) + "/" + steps.size() + " measure";
    List<ProcStats.CpuSnapshot> cpu0 = b.cpu();
    Map<String, Long> jit0 = b.jitTicks();
    ProcStats.CpuSnapshot self0 = Bench.selfCpu();
    Bench.sleepUntil(to);
    List<ProcStats.CpuSnapshot> cpu1 = b.cpu();
    Map<String, Long> jit1 = b.jitTicks();
    ProcStats.CpuSnapshot self1 = Bench.selfCpu();
    PrometheusText.GcTotals gc1 = b.gcTotals();
    b.stopSenders();
    b.stage = label + "step " + (s + 1) + "/" + steps.size() + " drain";
    double drainedS = drain(ph, to, a.drainNanos);
    long rss = b.rssBytes();

    Histogram lat = ph.latency.getIntervalHistogram();
    LatencySummary sum = LatencySummary.of(lat);
    LatencySummary lag = LatencySummary.of(ph.sendLag.getIntervalHistogram());
    SeqTracker.Loss loss = SeqTracker.Loss.of(ph.sent.sum(), ph.received.sum());
    double windowS = a.durationNanos / 1e9;
    double cpuS = Bench.cpuSeconds(cpu0, cpu1, clk);

    Map<String, Object> row = new LinkedHashMap<>();
    if (target != null) {
      row.put("target", target);
    }
    row.put("step", s + 1);
    row.put("offeredMsgsPerS", offered);
    row.put("ratePerMember", perSender);
    row.put("rooms", ready.size());
    row.put("sentPerS", loss.sent() / windowS);
    row.put("deliveredPerS", loss.received() / windowS);
    row.put("sent", loss.sent());
    row.put("received", loss.received());
    row.put("lost", loss.lost());
    row.put("lossPct", loss.lostPct());
    row.put("outOfOrder", ph.outOfOrder.sum());
    row.put("droppedSocketFull", ph.dropped.sum());
    row.put("drainS", drainedS);
    row.put("p50Ms", sum.p50Ms());
    row.put("p90Ms", sum.p90Ms());
    row.put("p99Ms", sum.p99Ms());
    row.put("p999Ms", sum.p999Ms());
    row.put("maxMs", sum.maxMs());
    row.put("meanMs", sum.meanMs());
    row.put("sendLagP99Ms", lag.p99Ms());
    row.put("serverCpuS", cpuS);
    row.put("serverCores", Double.isNaN(cpuS) ? Double.NaN : cpuS / windowS);
    row.put(
        "serverCpuUsPerMsg",
        Double.isNaN(cpuS) || loss.received() == 0 ? Double.NaN : cpuS * 1e6 / loss.received());
    double jitS = ProcStats.jitSeconds(jit0, jit1);
    row.put("serverJitCores", jitS / windowS);
    row.put("serverKernelShare", Bench.kernelShare(cpu0, cpu1));
    PrometheusText.GcTotals gc = gcBetween(gc0, gc1);
    row.put("serverGcCount", gc == null ? Double.NaN : gc.collections());
    row.put("serverGcPauseMs", gc == null ? Double.NaN : gc.seconds() * 1e3);
    row.put(
        "serverGcMeanPauseMs",
        gc == null || gc.collections() == 0 ? Double.NaN : gc.seconds() * 1e3 / gc.collections());
    row.put("serverRssMiB", mib(rss));
    row.put(
        "clientCores",
        self0 == null || self1 == null ? Double.NaN : ProcStats.coresUsed(self0, self1, clk));
    res.rows.add(row);
    b.out.printf(
        Locale.ROOT,
        "%sstep %d: offered %.0f msg/s, delivered %.0f msg/s, loss %d (%.3f%%), ooo %d, p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms%s%s%n",
        label,
        s + 1,
        offered,
        loss.received() / windowS,
        loss.lost(),
        loss.lostPct(),
        ph.outOfOrder.sum(),
        sum.p50Ms(),
        sum.p99Ms(),
        sum.p999Ms(),
        sum.maxMs(),
        Double.isNaN(cpuS)
            ? ""
            : String.format(
                Locale.ROOT, ", server %.1f us CPU/msg", cpuS * 1e6 / Math.max(1, loss.received())),
        gc == null || gc.collections() == 0
            ? ""
            : String.format(
                Locale.ROOT,
                ", %.0f GC pauses of %.1f ms mean",
                gc.collections(),
                gc.seconds() * 1e3 / gc.collections()));
    if (loss.lost() > 0 && drainedS >= a.drainNanos / 1e9 + DRAIN_EXTRA_NANOS / 1e9 - 0.5) {
      res.warnings.add(
          String.format(
              Locale.ROOT,
              "%sstep %d: messages were still arriving when the drain ended (%.1f s): "
                  + "some of the %d counted as lost are only late; the server is overloaded at this load.",
              label,
              s + 1,
              drainedS,
              loss.lost()));
    }
    String jitWarning = jitWarning(label, s + 1, jitS, cpuS);
    if (jitWarning != null) {
      res.warnings.add(jitWarning);
    }
    if (lag.p99Ms() > 5) {
      res.warnings.add(
          String.format(
              Locale.ROOT,
              "%sstep %d: the generator sent late (send lag p99 %.1f ms): "
                  + "it or the machine is saturated, so latencies include client scheduling delay.",
              label,
              s + 1,
              lag.p99Ms()));
    }
    return row;
  }

  /** Extra time a drain may take while messages are still arriving. */
  static final long DRAIN_EXTRA_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * Waits at least {@code minNanos} after the window's end, then until every message sent in the
   * window has arrived, or nothing arrived for 500 ms, or {@link #DRAIN_EXTRA_NANOS} more passed.
   * Returns the seconds waited after the window.
   */
  static double drain(Bench.Phase ph, long windowEnd, long minNanos) throws InterruptedException {
    Bench.sleepUntil(windowEnd + minNanos);
    long limit = windowEnd + minNanos + DRAIN_EXTRA_NANOS;
    long prev = -1;
    while (System.nanoTime() < limit) {
      long got = ph.received.sum();
      if (got >= ph.sent.sum() || got == prev) {
        break;
      }
      prev = got;
      Bench.sleepUntil(Math.min(limit, System.nanoTime() + 500_000_000L));
    }
    return (System.nanoTime() - windowEnd) / 1e9;
  }

  // ---------------------------------------------------------------- churn

  static void churn(BenchArgs a, Bench b, RunResult res) throws InterruptedException {
    b.startProgress(
        () -> {
          Bench.Churn c = b.churn;
          return c == null
              ? ""
              : " leaves="
                  + c.leaves.sum()
                  + " joins="
                  + c.joins.sum()
                  + " retries="
                  + c.joinRetries.sum();
        });
    b.openRooms(a.rooms, a.url, a.secondMemberUrl());
    int ready = b.ready().size();
    if (ready == 0) {
      res.warnings.add("no room was confirmed: nothing to churn");
      return;
    }
    long start = System.nanoTime();
    long from = start + a.warmupNanos;
    long to = from + a.durationNanos;
    Bench.Phase ph = new Bench.Phase("churn", from, to);
    b.phase = ph;
    Bench.Churn c = b.new Churn(a.secondMemberUrl());
    b.churn = c;
    b.stage = "churn warmup";
    var tick = b.ticker.scheduleAtFixedRate(c::tick, 10, 10, TimeUnit.MILLISECONDS);
    Bench.sleepUntil(from);
    b.stage = "churn measure";
    long joins0 = c.joins.sum();
    List<ProcStats.CpuSnapshot> cpu0 = b.cpu();
    Map<String, Long> jit0 = b.jitTicks();
    Bench.sleepUntil(to);
    List<ProcStats.CpuSnapshot> cpu1 = b.cpu();
    Map<String, Long> jit1 = b.jitTicks();
    tick.cancel(false);
    long joinsDuring = c.joins.sum() - joins0;
    b.stage = "churn drain";
    Bench.sleepUntil(to + a.drainNanos);
    // Rejoins started just before the window closed may still be confirming: wait for them (not
    // for a fixed time, which a busy machine outlasts), bounded like the relay drain.
    long limit = to + a.drainNanos + DRAIN_EXTRA_NANOS;
    while (b.ready().size() < ready && System.nanoTime() < limit) {
      Bench.sleepUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
    }

    double windowS = a.durationNanos / 1e9;
    LatencySummary join = LatencySummary.of(c.joinLatency.getIntervalHistogram());
    LatencySummary leave = LatencySummary.of(ph.leave.getIntervalHistogram());
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("rooms", ready);
    row.put("targetJoinsPerS", a.joinRate);
    row.put("joinsPerS", joinsDuring / windowS);
    row.put("joinsStartedInWindow", c.joinsInWindow.sum());
    row.put("joinRetries", c.joinRetries.sum());
    row.put("leaveTimeouts", c.leaveTimeouts.sum());
    row.put("skippedNoIdleRoom", c.skippedBusy.sum());
    row.putAll(join.toMap("join"));
    row.put("leaveNotifyP50Ms", leave.p50Ms());
    row.put("leaveNotifyP99Ms", leave.p99Ms());
    row.put("leaveNotifyMaxMs", leave.maxMs());
    // What a leave and a rejoin cost the server: the close, the leave notice, the new handshake,
    // the join and its confirmation, per join completed in the window.
    long clk = ProcStats.clockTicksPerSecond();
    double cpuS = Bench.cpuSeconds(cpu0, cpu1, clk);
    row.put("serverCpuS", cpuS);
    row.put("serverCores", Double.isNaN(cpuS) ? Double.NaN : cpuS / windowS);
    row.put(
        "serverCpuUsPerJoin",
        Double.isNaN(cpuS) || joinsDuring == 0 ? Double.NaN : cpuS * 1e6 / joinsDuring);
    row.put("serverKernelShare", Bench.kernelShare(cpu0, cpu1));
    double jitS = ProcStats.jitSeconds(jit0, jit1);
    row.put("serverJitCores", jitS / windowS);
    String jitWarning = jitWarning("churn ", 1, jitS, cpuS, "join");
    if (jitWarning != null) {
      res.warnings.add(jitWarning);
    }
    row.put("roomsReadyAtEnd", b.ready().size());
    row.put("roomStatesAtEnd", b.roomStates());
    res.rows.add(row);
    double cpuPerJoinUs = (double) row.get("serverCpuUsPerJoin");
    b.out.printf(
        Locale.ROOT,
        "churn: %.1f joins/s, join p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms, retries %d%s%n",
        joinsDuring / windowS,
        join.p50Ms(),
        join.p99Ms(),
        join.p999Ms(),
        join.maxMs(),
        c.joinRetries.sum(),
        Double.isNaN(cpuPerJoinUs)
            ? ""
            : String.format(Locale.ROOT, ", server %.0f µs CPU per join", cpuPerJoinUs));
    if (c.skippedBusy.sum() > 0) {
      res.warnings.add(
          c.skippedBusy.sum()
              + " leave ticks found no idle room: --join-rate is too high for --rooms.");
    }
  }

  // ---------------------------------------------------------------- output

  static void write(RunResult res, Path dir, boolean plot) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("result.json"), JsonWriter.write(res.toMap()), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("result.md"), MarkdownWriter.render(res), StandardCharsets.UTF_8);
    if (plot && res.plot != null) {
      LatencyPlot.write(
          res.plot,
          res.basePlot == null ? List.of() : res.basePlot,
          "Switchboard " + res.scenario + ": latency vs offered load",
          dir.resolve("latency.png"));
    }
  }

  /**
   * bench/results next to bench/target when run from the jar, else ./bench/results or ./results.
   */
  static Path defaultResultsDir() {
    try {
      Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (jar.getFileName().toString().endsWith(".jar")
          && jar.getParent() != null
          && jar.getParent().getFileName().toString().equals("target")
          && jar.getParent().getParent() != null) {
        return jar.getParent().getParent().resolve("results");
      }
    } catch (Exception e) {
      // fall through
    }
    return Files.isDirectory(Path.of("bench")) ? Path.of("bench", "results") : Path.of("results");
  }

  /** Share of the servers' CPU in a window above which the JIT still warming up is reported. */
  static final double JIT_WARNING_SHARE = 0.10;

  /**
   * A warning when the servers' JIT compilers took more than {@link #JIT_WARNING_SHARE} of their
   * CPU in the window: the server was still warming up (a fresh Payara compiles for a minute or
   * more under load), so its CPU per message is overstated. Null otherwise.
   */
  static String jitWarning(String label, int step, double jitS, double cpuS) {
    return jitWarning(label, step, jitS, cpuS, "message");
  }

  /**
   * {@link #jitWarning(String, int, double, double)} for a scenario whose unit of work is not a
   * message.
   */
  static String jitWarning(String label, int step, double jitS, double cpuS, String unit) {
    if (Double.isNaN(jitS) || Double.isNaN(cpuS) || cpuS <= 0 || jitS / cpuS <= JIT_WARNING_SHARE) {
      return null;
    }
    return String.format(
        Locale.ROOT,
        "%sstep %d: the server's JIT compiler threads used %.0f%% of its CPU in the window: it was"
            + " still warming up, so CPU per %s is overstated (%.1f of %.1f CPU-s). Run a"
            + " throwaway first step, or a longer --warmup.",
        label,
        step,
        100 * jitS / cpuS,
        unit,
        jitS,
        cpuS);
  }
}
