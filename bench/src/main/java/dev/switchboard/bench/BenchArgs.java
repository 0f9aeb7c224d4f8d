package dev.switchboard.bench;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command line of the harness: {@code SCENARIO [--option value]...}. Parsing never exits the VM: it
 * throws {@link UsageException} with a message that names the bad option, so it can be unit-tested.
 */
public final class BenchArgs {

  public enum Scenario {
    CONNECTIONS,
    RELAY,
    CROSS,
    CHURN;

    static Scenario parse(String s) {
      for (Scenario v : values()) {
        if (v.name().equalsIgnoreCase(s)) {
          return v;
        }
      }
      throw new UsageException(
          "unknown scenario '" + s + "' (expected one of: connections, relay, cross, churn)");
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Thrown for any bad command line; the message is meant for the user as is. */
  public static final class UsageException extends RuntimeException {
    public UsageException(String message) {
      super(message);
    }
  }

  public static final String USAGE =
      String.join(
          "\n",
          "usage: java -jar switchboard-bench.jar SCENARIO [options]",
          "",
          "scenarios:",
          "  connections  open --clients N clients in rooms of two and hold them idle for --duration",
          "  relay        --rooms R rooms of two; each member sends --rate msgs/s (open loop)",
          "  cross        like relay, member 1 on --url and member 2 on --url2",
          "  churn        --rooms R rooms; members leave and rejoin at --join-rate joins/s",
          "",
          "options (durations: 500ms, 5s, 2m; default in brackets):",
          "  --url URL              server [ws://127.0.0.1:3002/]",
          "  --url2 URL             second server: member 2 of every room connects there (cross:",
          "                         required; connections, churn: optional, rejoins go there too)",
          "  --baseline-url URL     relay: also measure this bare relay endpoint, step by step",
          "                         alternating with --url, and report --url as a ratio of it",
          "                         (Switchboard: BENCH_BASELINE_ENDPOINT=true, path /bench/baseline)",
          "  --clients N            connections scenario: clients to open, even [1000]",
          "  --rooms N              relay/cross/churn: rooms of two [100]",
          "  --rate N               relay/cross: msgs/s sent by EACH member [10]",
          "  --rate-steps A,B,...   relay/cross: aggregate offered msgs/s per step (overrides --rate)",
          "  --payload-bytes N      relay/cross: pad each message to about N bytes [0 = no padding]",
          "  --join-rate N          churn: leave+rejoin cycles per second [20]",
          "  --duration D           measured time (per step) [10s]",
          "  --warmup D             unmeasured time before each measured window [2s]",
          "  --drain D              wait after sending stops before counting loss [2s]",
          "  --connect-rate N       new connections per second while opening [1000]",
          "  --max-pending N        handshakes in flight at once [500]",
          "  --threads N            Netty event-loop threads [2]",
          "  --source-ips LIST|auto local addresses to spread connections over, e.g.",
          "                         127.0.0.1,127.0.0.2 or 127.0.0.1-127.0.0.4 [auto]",
          "  --server-pid PID[,PID] server process(es) on this machine: RSS and CPU from /proc",
          "  --metrics-url URL      Prometheus text [http://HOST:PORT/metrics?scope=base of --url]",
          "  --force-gc yes|no      connections: full GC in the --server-pid JVMs (jcmd GC.run)",
          "                         before each heap reading, so heap per connection counts live",
          "                         objects only; processes that are not JVMs are left alone [yes]",
          "  --room-prefix S        room id prefix [bench-<random>]",
          "  --out DIR              results folder [bench/results/<timestamp>]",
          "  --help                 this text");

  public Scenario scenario;
  public URI url = URI.create("ws://127.0.0.1:3002/");
  public URI url2;
  public URI baselineUrl;
  public int clients = 1000;
  public int rooms = 100;
  public double rate = 10;
  public List<Double> rateSteps = List.of();
  public int payloadBytes = 0;
  public double joinRate = 20;
  public long durationNanos = seconds(10);
  public long warmupNanos = seconds(2);
  public long drainNanos = seconds(2);
  public double connectRate = 1000;
  public int maxPending = 500;
  public int threads = 2;
  public String sourceIps = "auto";
  public List<Long> serverPids = List.of();
  public URI metricsUrl;
  public boolean forceGc = true;
  public String roomPrefix;
  public Path out;
  public boolean help;

  /** The options as given (normalised keys), recorded in the results. */
  public final Map<String, String> given = new LinkedHashMap<>();

  /**
   * The same run against {@link #baselineUrl}: every option kept, the URL swapped, and its rooms
   * named apart so the two sets never meet.
   */
  public BenchArgs forBaseline() {
    BenchArgs c = new BenchArgs();
    c.scenario = scenario;
    c.url = baselineUrl;
    c.clients = clients;
    c.rooms = rooms;
    c.rate = rate;
    c.rateSteps = rateSteps;
    c.payloadBytes = payloadBytes;
    c.joinRate = joinRate;
    c.durationNanos = durationNanos;
    c.warmupNanos = warmupNanos;
    c.drainNanos = drainNanos;
    c.connectRate = connectRate;
    c.maxPending = maxPending;
    c.threads = threads;
    c.sourceIps = sourceIps;
    c.serverPids = serverPids;
    c.metricsUrl = metricsUrl;
    c.roomPrefix = roomPrefix == null ? null : roomPrefix + "-b";
    c.out = out;
    return c;
  }

  private static long seconds(long s) {
    return s * 1_000_000_000L;
  }

  public static BenchArgs parse(String... argv) {
    BenchArgs a = new BenchArgs();
    List<String> args = new ArrayList<>();
    Collections.addAll(args, argv);
    if (args.isEmpty()) {
      throw new UsageException(
          "missing scenario (expected one of: connections, relay, cross, churn)");
    }
    if (args.contains("--help") || args.contains("-h")) {
      a.help = true;
      return a;
    }
    String first = args.remove(0);
    if (first.startsWith("-")) {
      throw new UsageException("the scenario must come first, got option '" + first + "'");
    }
    a.scenario = Scenario.parse(first);
    for (int i = 0; i < args.size(); i++) {
      String opt = args.get(i);
      String value;
      if (!opt.startsWith("--")) {
        throw new UsageException("unexpected argument '" + opt + "' (options start with --)");
      }
      int eq = opt.indexOf('=');
      if (eq > 0) {
        value = opt.substring(eq + 1);
        opt = opt.substring(0, eq);
      } else {
        if (i + 1 >= args.size()) {
          throw new UsageException("option " + opt + " needs a value");
        }
        value = args.get(++i);
      }
      a.apply(opt, value);
      a.given.put(opt.substring(2), value);
    }
    a.validate();
    return a;
  }

  private void apply(String opt, String v) {
    switch (opt) {
      case "--url" -> url = wsUri(opt, v);
      case "--url2" -> url2 = wsUri(opt, v);
      case "--baseline-url" -> baselineUrl = wsUri(opt, v);
      case "--clients" -> clients = positiveInt(opt, v);
      case "--rooms" -> rooms = positiveInt(opt, v);
      case "--rate" -> rate = positiveDouble(opt, v);
      case "--rate-steps" -> {
        List<Double> steps = new ArrayList<>();
        for (String part : v.split(",")) {
          steps.add(positiveDouble(opt, part.trim()));
        }
        rateSteps = List.copyOf(steps);
      }
      case "--payload-bytes" -> payloadBytes = nonNegativeInt(opt, v);
      case "--join-rate" -> joinRate = positiveDouble(opt, v);
      case "--duration" -> durationNanos = duration(opt, v, false);
      case "--warmup" -> warmupNanos = duration(opt, v, true);
      case "--drain" -> drainNanos = duration(opt, v, true);
      case "--connect-rate" -> connectRate = positiveDouble(opt, v);
      case "--max-pending" -> maxPending = positiveInt(opt, v);
      case "--threads" -> threads = positiveInt(opt, v);
      case "--source-ips" -> sourceIps = v;
      case "--server-pid" -> {
        List<Long> pids = new ArrayList<>();
        for (String part : v.split(",")) {
          pids.add((long) positiveInt(opt, part.trim()));
        }
        serverPids = List.copyOf(pids);
      }
      case "--metrics-url" -> metricsUrl = httpUri(opt, v);
      case "--force-gc" -> forceGc = yesNo(opt, v);
      case "--room-prefix" -> {
        if (!v.matches("[A-Za-z0-9_\\-:.]{1,40}")) {
          throw new UsageException(
              "--room-prefix must be 1-40 characters of A-Z a-z 0-9 _ - : . (got '" + v + "')");
        }
        roomPrefix = v;
      }
      case "--out" -> out = Path.of(v);
      default -> throw new UsageException("unknown option " + opt + " (see --help)");
    }
  }

  /**
   * Where member 2 of each room (and, in churn, every rejoining member) connects: {@code --url2}
   * when given, else {@code --url}. Member 1 always connects to {@code --url}.
   */
  public URI secondMemberUrl() {
    return url2 != null ? url2 : url;
  }

  private void validate() {
    if (scenario == Scenario.CROSS && url2 == null) {
      throw new UsageException("scenario cross needs --url2 (the second server)");
    }
    if (scenario == Scenario.RELAY && url2 != null) {
      throw new UsageException(
          "--url2 is used by scenarios cross, connections and churn, not relay (use cross)");
    }
    if (scenario != Scenario.RELAY && baselineUrl != null) {
      throw new UsageException("--baseline-url is only used by scenario relay");
    }
    if (scenario == Scenario.CONNECTIONS && clients % 2 != 0) {
      throw new UsageException("--clients must be even (rooms of two), got " + clients);
    }
    if (!rateSteps.isEmpty() && scenario != Scenario.RELAY && scenario != Scenario.CROSS) {
      throw new UsageException("--rate-steps is only used by scenarios relay and cross");
    }
    if (scenario != Scenario.CONNECTIONS && given.containsKey("force-gc")) {
      throw new UsageException("--force-gc is only used by scenario connections");
    }
    if (scenario != Scenario.CONNECTIONS && given.containsKey("clients")) {
      throw new UsageException("--clients is only used by scenario connections (use --rooms)");
    }
  }

  /** Aggregate offered loads (msgs/s over all senders) for each step of relay/cross. */
  public List<Double> offeredSteps() {
    if (!rateSteps.isEmpty()) {
      return rateSteps;
    }
    return List.of(rate * 2 * rooms);
  }

  public static long duration(String opt, String v, boolean zeroAllowed) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    long mult;
    String num;
    if (s.endsWith("ms")) {
      mult = 1_000_000L;
      num = s.substring(0, s.length() - 2);
    } else if (s.endsWith("s")) {
      mult = 1_000_000_000L;
      num = s.substring(0, s.length() - 1);
    } else if (s.endsWith("m")) {
      mult = 60_000_000_000L;
      num = s.substring(0, s.length() - 1);
    } else {
      mult = 1_000_000_000L; // bare number = seconds
      num = s;
    }
    double d;
    try {
      d = Double.parseDouble(num);
    } catch (NumberFormatException e) {
      throw new UsageException(opt + " must be a duration like 500ms, 30s or 2m (got '" + v + "')");
    }
    if (Double.isNaN(d) || d < 0 || (!zeroAllowed && d == 0) || Double.isInfinite(d)) {
      throw new UsageException(
          opt
              + " must be "
              + (zeroAllowed ? "zero or more" : "more than zero")
              + " (got '"
              + v
              + "')");
    }
    return Math.round(d * mult);
  }

  private static boolean yesNo(String opt, String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "yes", "true" -> true;
      case "no", "false" -> false;
      default -> throw new UsageException(opt + " must be yes or no (got '" + v + "')");
    };
  }

  private static int positiveInt(String opt, String v) {
    int n = intValue(opt, v);
    if (n <= 0) {
      throw new UsageException(opt + " must be a positive integer (got '" + v + "')");
    }
    return n;
  }

  private static int nonNegativeInt(String opt, String v) {
    int n = intValue(opt, v);
    if (n < 0) {
      throw new UsageException(opt + " must be zero or more (got '" + v + "')");
    }
    return n;
  }

  private static int intValue(String opt, String v) {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(opt + " must be an integer (got '" + v + "')");
    }
  }

  private static double positiveDouble(String opt, String v) {
    double d;
    try {
      d = Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(opt + " must be a number (got '" + v + "')");
    }
    if (!(d > 0) || Double.isInfinite(d)) {
      throw new UsageException(opt + " must be more than zero (got '" + v + "')");
    }
    return d;
  }

  private static URI wsUri(String opt, String v) {
    URI u = uri(opt, v);
    if (!"ws".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
      throw new UsageException(
          opt + " must be a ws://HOST:PORT/ URL (got '" + v + "'; wss is not supported)");
    }
    return u;
  }

  private static URI httpUri(String opt, String v) {
    URI u = uri(opt, v);
    if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
      throw new UsageException(opt + " must be an http:// URL (got '" + v + "')");
    }
    return u;
  }

  private static URI uri(String opt, String v) {
    try {
      return new URI(v.trim());
    } catch (URISyntaxException e) {
      throw new UsageException(opt + " is not a valid URL: '" + v + "'");
    }
  }

  /**
   * The Prometheus endpoint for {@code server}: --metrics-url, or /metrics?scope=base on its host
   * and port.
   */
  public URI metricsUrlFor(URI server) {
    if (metricsUrl != null) {
      return metricsUrl;
    }
    int port = server.getPort() > 0 ? server.getPort() : 80;
    return URI.create("http://" + server.getHost() + ":" + port + "/metrics?scope=base");
  }
}
