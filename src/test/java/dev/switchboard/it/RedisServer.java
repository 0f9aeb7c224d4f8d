package dev.switchboard.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real {@code redis-server} (Debian's package) run as a child process of the test JVM: loopback
 * only, a free port, no persistence, its own temporary directory, and its log (with the process's
 * stdout and stderr) in {@code target/it-logs/redis-NAME.log}. Never a system service.
 *
 * <p>Every wait is bounded and every failure message carries the tail of the log. A JVM shutdown
 * hook kills whatever is still running, so a crashed or careless test leaves no process behind.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start("failover")) {
 *   // start the signaling server with REDIS_URL=redis.url() ...
 *   assertThat(redis.callLong("TTL", "room:r1")).isPositive();
 *   redis.stop(); // Redis is down; the port refuses connections
 *   redis.restart(); // same port, answering PING
 * }
 * }</pre>
 *
 * <p>Ports are picked below the kernel's ephemeral range, so that no outgoing connection (not even
 * a client's self-connect while reconnecting to a stopped Redis) can take the port before {@link
 * #restart()}; a port is never handed out twice in one JVM.
 */
public final class RedisServer implements AutoCloseable {

  /** The only address the servers listen on. */
  public static final String HOST = "127.0.0.1";

  private static final String NOT_FOUND =
      "%s not found: run .ci/run, which installs Debian's redis-server";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final Duration PORT_RELEASE_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CLUSTER_CREATE_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration CLUSTER_OK_TIMEOUT = Duration.ofSeconds(20);
  private static final int CONNECT_TIMEOUT_MS = 1_000;
  private static final int PING_TIMEOUT_MS = 500;
  private static final int REPLY_TIMEOUT_MS = 5_000;
  private static final long POLL_MS = 20;
  private static final int START_ATTEMPTS = 3;
  private static final int TAIL_LINES = 40;
  private static final Path LOG_DIR = Path.of("target", "it-logs");

  private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();
  private static final Set<Path> TEMP_DIRS = ConcurrentHashMap.newKeySet();
  private static final Set<Integer> PORTS_HANDED_OUT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RedisServer::killAll, "redis-it-cleanup"));
  }

  private final String name;
  private final String executable;
  private final int port;
  private final int busPort;
  private final List<String> extraArgs;
  private final Path dir;
  private final Path log;
  private Process process; // guarded by this
  private long logOffset; // guarded by this

  private RedisServer(
      String name, String executable, int port, int busPort, List<String> extraArgs) {
    this.name = name;
    this.executable = executable;
    this.port = port;
    this.busPort = busPort;
    this.extraArgs = List.copyOf(extraArgs);
    this.log = LOG_DIR.resolve("redis-" + fileName(name) + ".log");
    try {
      this.dir = Files.createTempDirectory("redis-" + fileName(name) + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for redis " + name, e);
    }
    TEMP_DIRS.add(dir);
  }

  /**
   * Starts a standalone {@code redis-server} on a free loopback port and waits (at most 10 s) until
   * it answers {@code PING}.
   *
   * @param name names the log file {@code target/it-logs/redis-NAME.log}
   * @throws IllegalStateException if {@code redis-server} is not on the PATH or does not come up
   */
  public static RedisServer start(String name) {
    return start(name, new String[0]);
  }

  /**
   * Like {@link #start(String)}, with extra {@code redis-server} options appended to the command
   * line, e.g. {@code "--notify-keyspace-events", "Ex"}.
   */
  public static RedisServer start(String name, String... extraArgs) {
    return startNode(name, false, List.of(extraArgs));
  }

  /**
   * Starts a Redis Cluster of {@code masters} (at least 3) master-only nodes, each its own {@code
   * redis-server} with its log in {@code target/it-logs/redis-NAME-i.log}, joins them with {@code
   * redis-cli --cluster create} (log: {@code redis-NAME-create.log}) and waits (at most 20 s) until
   * every node reports {@code cluster_state:ok} and knows all the others.
   */
  public static Cluster startCluster(String name, int masters) {
    if (masters < 3) {
      throw new IllegalArgumentException(
          "a Redis Cluster needs at least 3 masters, not " + masters);
    }
    executable("redis-server"); // the message for a machine without the package
    String cli = executable("redis-cli");
    List<RedisServer> nodes = new ArrayList<>();
    try {
      for (int i = 1; i <= masters; i++) {
        nodes.add(startNode(name + "-" + i, true, List.of()));
      }
      Cluster cluster = new Cluster(name, nodes);
      cluster.create(cli);
      cluster.awaitOk();
      return cluster;
    } catch (RuntimeException e) {
      for (RedisServer node : nodes) {
        try {
          node.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * Starts Redis 6.2 (the Linux x86-64 binary that embedded-redis ships) instead of Debian's Redis
   * 7, to check the standalone store against an older server. Otherwise like {@link
   * #start(String)}.
   */
  public static RedisServer startRedis6(String name) {
    return startNode(name, false, List.of(), redis6Executable());
  }

  private static synchronized String redis6Executable() {
    String resource = "/redis-server-6.2.6-v5-linux-amd64";
    Path target = Path.of("target", "redis6", "redis-server-6.2.6").toAbsolutePath();
    try (InputStream in = RedisServer.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "embedded-redis's " + resource + " is not on the class path");
      }
      if (!Files.isExecutable(target)) {
        Files.createDirectories(target.getParent());
        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (!target.toFile().setExecutable(true)) {
          throw new IllegalStateException("cannot make " + target + " executable");
        }
      }
      return target.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static RedisServer startNode(String name, boolean cluster, List<String> extraArgs) {
    return startNode(name, cluster, extraArgs, executable("redis-server"));
  }

  private static RedisServer startNode(
      String name, boolean cluster, List<String> extraArgs, String executable) {
    PortClash clash = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      RedisServer server =
          new RedisServer(name, executable, freePort(), cluster ? freePort() : 0, extraArgs);
      try {
        server.launch();
        return server;
      } catch (PortClash e) {
        clash = e; // someone took the port between the check and redis-server's bind: try another
        server.close();
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }
    throw clash;
  }

  /** {@code redis://127.0.0.1:PORT}, for {@code REDIS_URL}. */
  public String url() {
    return "redis://" + HOST + ":" + port;
  }

  /** The port, the same across {@link #restart()}. */
  public int port() {
    return port;
  }

  /** The log file: redis-server's own log plus its stdout and stderr, across restarts. */
  public Path log() {
    return log;
  }

  /** Whether the process is running (started and not stopped, nor exited by itself). */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The process id, e.g. to send it SIGSTOP; throws if not running. */
  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException(this + " is not running");
    }
    return process.pid();
  }

  /**
   * Stops the process (SIGTERM; SIGKILL after 5 s) and waits until its port refuses connections.
   * Does nothing if it is not running. Its directory is kept for {@link #restart()}.
   */
  public synchronized void stop() {
    Process running = process;
    if (running == null) {
      return;
    }
    process = null;
    try {
      running.destroy();
      if (!running.waitFor(STOP_GRACE.toMillis(), MILLISECONDS)) {
        appendToLog("did not exit within " + STOP_GRACE.toSeconds() + " s of SIGTERM: SIGKILL");
        running.destroyForcibly();
        if (!running.waitFor(STOP_GRACE.toMillis(), MILLISECONDS)) {
          throw new IllegalStateException(failure("is still alive after SIGKILL"));
        }
      }
    } catch (InterruptedException e) {
      running.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(this + ": interrupted while stopping", e);
    } finally {
      if (!running.isAlive()) {
        PROCESSES.remove(running);
      }
    }
    awaitPortRefused();
  }

  /**
   * Starts the server again on the same port (stopping it first if it is running) and waits (at
   * most 10 s) until it answers {@code PING}. A cluster node keeps its identity and slots.
   */
  public synchronized void restart() {
    stop();
    launch();
  }

  /** Stops the server and deletes its directory. */
  @Override
  public synchronized void close() {
    try {
      stop();
    } finally {
      deleteRecursively(dir);
      TEMP_DIRS.remove(dir);
    }
  }

  /**
   * Sends one command over a new connection and returns the parsed reply: a {@link String} for a
   * simple or bulk string, a {@link Long} for an integer, a {@code List<Object>} for an array, or
   * {@code null} for a null bulk string or array.
   *
   * @throws ErrorReply if Redis answers with an error ({@code ERR ...}, {@code WRONGTYPE ...})
   * @throws UncheckedIOException if Redis cannot be reached (e.g. {@link ConnectException} when
   *     stopped) or does not answer within 5 s
   */
  public Object call(String... args) {
    List<String> command = List.of(args);
    try {
      return send(command, REPLY_TIMEOUT_MS);
    } catch (IOException e) {
      throw new UncheckedIOException(this + ": " + describe(command) + ": " + e, e);
    }
  }

  /** {@link #call} for a string (or null) reply, e.g. {@code GET}, {@code INFO}. */
  public String callString(String... args) {
    Object reply = call(args);
    if (reply == null || reply instanceof String) {
      return (String) reply;
    }
    throw unexpected("a string", args, reply);
  }

  /** {@link #call} for an integer reply, e.g. {@code TTL}; a numeric string is parsed. */
  public long callLong(String... args) {
    Object reply = call(args);
    if (reply instanceof Long) {
      return (Long) reply;
    }
    if (reply instanceof String) {
      try {
        return Long.parseLong((String) reply);
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw unexpected("an integer", args, reply);
  }

  /** {@link #call} for an array (or null) reply, e.g. {@code KEYS}. */
  @SuppressWarnings("unchecked")
  public List<Object> callList(String... args) {
    Object reply = call(args);
    if (reply == null || reply instanceof List) {
      return (List<Object>) reply;
    }
    throw unexpected("an array", args, reply);
  }

  /**
   * {@link #call} for a flat array of pairs, in order: {@code HGETALL} gives field to value, {@code
   * PUBSUB NUMSUB a b} gives channel to {@link Long} count, {@code CONFIG GET} name to value.
   */
  public Map<String, Object> callMap(String... args) {
    List<Object> reply = callList(args);
    if (reply == null || reply.size() % 2 != 0) {
      throw unexpected("an array of pairs", args, reply);
    }
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < reply.size(); i += 2) {
      map.put(String.valueOf(reply.get(i)), reply.get(i + 1));
    }
    return map;
  }

  /** {@code INFO section} as a map of its {@code key:value} lines, e.g. {@code used_memory}. */
  public Map<String, String> info(String section) {
    return parseInfo(callString("INFO", section));
  }

  /**
   * How many times a command ran, from {@code INFO commandstats} ({@code 0} if never), e.g. {@code
   * commandCalls("evalsha")} or {@code commandCalls("client|setname")}.
   */
  public long commandCalls(String command) {
    String stats = info("commandstats").get("cmdstat_" + command.toLowerCase(Locale.ROOT));
    if (stats == null) {
      return 0;
    }
    for (String field : stats.split(",")) {
      if (field.startsWith("calls=")) {
        return Long.parseLong(field.substring("calls=".length()));
      }
    }
    throw new IllegalStateException(this + ": no calls= in commandstats " + stats);
  }

  @Override
  public String toString() {
    return "redis " + name + " on " + HOST + ":" + port;
  }

  /** An error reply from Redis; {@link #error()} is the text as Redis sent it. */
  public static final class ErrorReply extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String error;

    ErrorReply(String error, String context) {
      super(error + " (" + context + ")");
      this.error = error;
    }

    /** The error without RESP's leading '-', e.g. {@code ERR unknown command 'X'...}. */
    public String error() {
      return error;
    }
  }

  /** A Redis Cluster started by {@link RedisServer#startCluster}: master-only nodes. */
  public static final class Cluster implements AutoCloseable {
    private final String name;
    private final List<RedisServer> nodes;

    private Cluster(String name, List<RedisServer> nodes) {
      this.name = name;
      this.nodes = List.copyOf(nodes);
    }

    /** The nodes, in the order they were given to {@code redis-cli --cluster create}. */
    public List<RedisServer> nodes() {
      return nodes;
    }

    /** Node {@code index} (from 0), e.g. to {@link RedisServer#call call} it or stop it. */
    public RedisServer node(int index) {
      return nodes.get(index);
    }

    /** Every node's {@code redis://127.0.0.1:PORT}. */
    public List<String> nodeUrls() {
      return nodes.stream().map(RedisServer::url).collect(Collectors.toList());
    }

    /** A Redisson YAML configuration (for {@code REDISSON_CONFIG}) listing every node. */
    public String redissonYaml() {
      StringBuilder yaml = new StringBuilder("clusterServersConfig:\n  nodeAddresses:\n");
      nodeUrls().forEach(url -> yaml.append("    - \"").append(url).append("\"\n"));
      // As the README advises: no PING on subscription connections, TCP keepalive instead.
      yaml.append("  pingConnectionInterval: 0\n  keepAlive: true\n")
          .append("  tcpKeepAliveIdle: 5\n  tcpKeepAliveInterval: 2\n  tcpKeepAliveCount: 3\n");
      return yaml.toString();
    }

    /** The hash slot of a key or shard channel ({@code CLUSTER KEYSLOT}). */
    public int slot(String key) {
      return (int) liveNode().callLong("CLUSTER", "KEYSLOT", key);
    }

    /** The node that serves a key's (or shard channel's) slot, from {@code CLUSTER SLOTS}. */
    public RedisServer nodeForKey(String key) {
      RedisServer asked = liveNode();
      long slot = asked.callLong("CLUSTER", "KEYSLOT", key);
      for (Object range : asked.callList("CLUSTER", "SLOTS")) {
        List<?> r = (List<?>) range;
        if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
          return nodeWithPort(Math.toIntExact((Long) ((List<?>) r.get(2)).get(1)));
        }
      }
      throw new IllegalStateException(this + ": no node serves slot " + slot + " of " + key);
    }

    /**
     * Sends a command to the first running node and follows {@code MOVED} redirections, like {@code
     * redis-cli -c} ({@code ASK} is not followed). For keyless per-node commands such as {@code
     * PUBSUB SHARDNUMSUB}, use {@code nodeForKey(channel).call(...)}.
     */
    public Object call(String... args) {
      RedisServer target = liveNode();
      for (int hop = 0; ; hop++) {
        try {
          return target.call(args);
        } catch (ErrorReply e) {
          if (!e.error().startsWith("MOVED ") || hop >= nodes.size()) {
            throw e;
          }
          String address = e.error().substring(e.error().lastIndexOf(' ') + 1);
          target = nodeWithPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        }
      }
    }

    /** Stops every node (see {@link RedisServer#stop()}). */
    public void stop() {
      forEachNode(RedisServer::stop);
    }

    /** Stops every node and deletes their directories. */
    @Override
    public void close() {
      forEachNode(RedisServer::close);
    }

    @Override
    public String toString() {
      return "redis cluster " + name + " " + nodeUrls();
    }

    private RedisServer liveNode() {
      return nodes.stream()
          .filter(RedisServer::isRunning)
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(this + ": no node is running"));
    }

    private RedisServer nodeWithPort(int port) {
      return nodes.stream()
          .filter(node -> node.port == port)
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(this + ": no node on port " + port));
    }

    private void forEachNode(Consumer<RedisServer> action) {
      RuntimeException failure = null;
      for (RedisServer node : nodes) {
        try {
          action.accept(node);
        } catch (RuntimeException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }

    private void create(String cli) {
      List<String> command = new ArrayList<>(List.of(cli, "--cluster", "create"));
      nodes.forEach(node -> command.add(HOST + ":" + node.port));
      command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      Path createLog = LOG_DIR.resolve("redis-" + fileName(name) + "-create.log");
      long offset =
          prepareLog(createLog, "---- " + Instant.now() + " " + String.join(" ", command));
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(Redirect.from(new File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(Redirect.appendTo(createLog.toFile()));
      builder.environment().remove("TERM"); // no colour escapes in the log
      Process cliProcess;
      try {
        cliProcess = builder.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + cli, e);
      }
      PROCESSES.add(cliProcess);
      try {
        if (!cliProcess.waitFor(CLUSTER_CREATE_TIMEOUT.toMillis(), MILLISECONDS)) {
          cliProcess.destroyForcibly();
          cliProcess.waitFor(STOP_GRACE.toMillis(), MILLISECONDS);
          throw new IllegalStateException(
              this
                  + ": redis-cli --cluster create did not finish within "
                  + CLUSTER_CREATE_TIMEOUT.toSeconds()
                  + " s"
                  + tail(createLog, offset)
                  + nodeTails());
        }
        if (cliProcess.exitValue() != 0) {
          throw new IllegalStateException(
              this
                  + ": redis-cli --cluster create exited with code "
                  + cliProcess.exitValue()
                  + tail(createLog, offset)
                  + nodeTails());
        }
      } catch (InterruptedException e) {
        cliProcess.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException(this + ": interrupted while creating the cluster", e);
      } finally {
        if (!cliProcess.isAlive()) {
          PROCESSES.remove(cliProcess);
        }
      }
    }

    private void awaitOk() {
      String[] problem = {null};
      try {
        Awaitility.await(this + " ok")
            .atMost(CLUSTER_OK_TIMEOUT)
            .pollInterval(Duration.ofMillis(POLL_MS))
            .until(
                () -> {
                  problem[0] = null;
                  for (RedisServer node : nodes) {
                    problem[0] = clusterProblem(node);
                    if (problem[0] != null) {
                      break;
                    }
                  }
                  return problem[0] == null;
                });
      } catch (ConditionTimeoutException e) {
        throw new IllegalStateException(
            this
                + ": not ok within "
                + CLUSTER_OK_TIMEOUT.toSeconds()
                + " s: "
                + problem[0]
                + nodeTails(),
            e);
      }
    }

    private String clusterProblem(RedisServer node) {
      try {
        Map<String, String> info = parseInfo(node.callString("CLUSTER", "INFO"));
        String state = info.get("cluster_state");
        String known = info.get("cluster_known_nodes");
        if (!"ok".equals(state) || !String.valueOf(nodes.size()).equals(known)) {
          return node + " has cluster_state:" + state + ", cluster_known_nodes:" + known;
        }
        return null;
      } catch (RuntimeException e) {
        return node + ": " + e.getMessage();
      }
    }

    private String nodeTails() {
      StringBuilder tails = new StringBuilder();
      nodes.forEach(node -> tails.append("\n").append(node).append(node.logTail()));
      return tails.toString();
    }
  }

  private static final class PortClash extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortClash(String message) {
      super(message);
    }
  }

  private synchronized void launch() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    logOffset = prepareLog(log, "---- " + Instant.now() + " starting " + this + " in " + dir);
    ProcessBuilder builder =
        new ProcessBuilder(command())
            .directory(dir.toFile())
            .redirectInput(Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(log.toFile()));
    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + executable, e);
    }
    PROCESSES.add(started);
    process = started;
    try {
      awaitPing(started);
    } catch (RuntimeException e) {
      process = null;
      kill(started);
      throw e;
    }
  }

  private List<String> command() {
    List<String> command = new ArrayList<>();
    Collections.addAll(
        command,
        executable,
        "--bind",
        HOST,
        "--port",
        String.valueOf(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir.toString(),
        "--daemonize",
        "no",
        "--logfile",
        log.toAbsolutePath().toString());
    if (busPort != 0) {
      Collections.addAll(
          command,
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          dir.resolve("nodes.conf").toString(),
          "--cluster-node-timeout",
          "2000",
          "--cluster-port",
          String.valueOf(busPort));
    }
    command.addAll(extraArgs);
    return command;
  }

  private void awaitPing(Process started) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (started.isAlive()) {
      try {
        Object reply = send(List.of("PING"), PING_TIMEOUT_MS);
        if ("PONG".equals(reply)) {
          return;
        }
        last = "PING answered " + reply;
      } catch (ErrorReply e) {
        last = e.error(); // e.g. LOADING
      } catch (IOException e) {
        last = e.toString();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            failure(
                "did not answer PING within " + START_TIMEOUT.toSeconds() + " s (" + last + ")"));
      }
      try {
        started.waitFor(POLL_MS, MILLISECONDS); // a pause that ends as soon as the process exits
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(this + ": interrupted while starting", e);
      }
    }
    String message = failure("exited with code " + started.exitValue() + " before answering PING");
    if (message.contains("Address already in use")) {
      throw new PortClash(message);
    }
    throw new IllegalStateException(message);
  }

  private void awaitPortRefused() {
    try {
      Awaitility.await(this + " port released")
          .atMost(PORT_RELEASE_TIMEOUT)
          .pollInterval(Duration.ofMillis(POLL_MS))
          .until(this::portRefuses);
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          this + ": the port still accepts connections after redis-server exited", e);
    }
  }

  private boolean portRefuses() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), CONNECT_TIMEOUT_MS);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false; // not refused, not accepted: look again
    }
  }

  private Object send(List<String> args, int replyTimeoutMs) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), CONNECT_TIMEOUT_MS);
      socket.setSoTimeout(replyTimeoutMs);
      socket.setTcpNoDelay(true);
      socket.getOutputStream().write(encode(args));
      socket.getOutputStream().flush();
      return readReply(new BufferedInputStream(socket.getInputStream()), args);
    }
  }

  private static byte[] encode(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("*" + args.size() + "\r\n").getBytes(UTF_8));
    for (String arg : args) {
      byte[] bytes = arg.getBytes(UTF_8);
      out.writeBytes(("$" + bytes.length + "\r\n").getBytes(UTF_8));
      out.writeBytes(bytes);
      out.writeBytes("\r\n".getBytes(UTF_8));
    }
    return out.toByteArray();
  }

  private Object readReply(InputStream in, List<String> args) throws IOException {
    int type = in.read();
    if (type == -1) {
      throw new EOFException("connection closed before the reply");
    }
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new ErrorReply(line, "reply to " + describe(args) + " from " + this);
      case ':':
        return Long.parseLong(line);
      case '$':
        {
          int length = Integer.parseInt(line);
          if (length < 0) {
            return null;
          }
          byte[] data = in.readNBytes(length);
          if (data.length < length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("truncated bulk string");
          }
          return new String(data, UTF_8);
        }
      case '*':
        {
          int count = Integer.parseInt(line);
          if (count < 0) {
            return null;
          }
          List<Object> items = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            items.add(readReply(in, args));
          }
          return Collections.unmodifiableList(items);
        }
      default:
        throw new IOException("unexpected RESP reply: " + (char) type + line);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b == -1) {
        throw new EOFException("connection closed in the middle of a reply");
      }
      if (b == '\r') {
        if (in.read() != '\n') {
          throw new IOException("malformed RESP line: " + line.toString(UTF_8));
        }
        return line.toString(UTF_8);
      }
      line.write(b);
    }
  }

  private static Map<String, String> parseInfo(String text) {
    Map<String, String> info = new LinkedHashMap<>();
    for (String line : text.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        info.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return info;
  }

  private IllegalStateException unexpected(String expected, String[] args, Object reply) {
    return new IllegalStateException(
        this
            + ": expected "
            + expected
            + " reply to "
            + describe(List.of(args))
            + ", got "
            + reply);
  }

  private static String describe(List<String> args) {
    String text = String.join(" ", args);
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private String failure(String what) {
    return this + " " + what + logTail();
  }

  private synchronized String logTail() {
    return tail(log, logOffset);
  }

  private void appendToLog(String line) {
    try {
      Files.writeString(log, "---- " + Instant.now() + " " + line + "\n", CREATE, APPEND);
    } catch (IOException e) {
      // only a note for humans
    }
  }

  /** Creates the log's directory, appends a header line and returns the offset after it. */
  private static long prepareLog(Path file, String header) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, header + "\n", CREATE, APPEND);
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The last lines written to {@code file} after {@code offset}, as a message suffix. */
  private static String tail(Path file, long offset) {
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long start = Math.max(offset, in.length() - 64 * 1024);
      byte[] bytes = new byte[(int) Math.max(0, in.length() - start)];
      in.seek(start);
      in.readFully(bytes);
      List<String> lines = Arrays.asList(new String(bytes, UTF_8).split("\n"));
      List<String> last = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
      return "\n--- last lines of " + file.toAbsolutePath() + ":\n" + String.join("\n", last);
    } catch (IOException e) {
      return "\n--- (cannot read " + file.toAbsolutePath() + ": " + e + ")";
    }
  }

  private static String executable(String program) {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(File.pathSeparator)) {
        if (!entry.isEmpty()) {
          Path candidate = Path.of(entry, program);
          if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
            return candidate.toString();
          }
        }
      }
    }
    throw new IllegalStateException(String.format(NOT_FOUND, program));
  }

  /**
   * A loopback port that nothing listens on, preferably below the ephemeral range (where no
   * outgoing connection can take it), and never one handed out before in this JVM.
   */
  private static int freePort() {
    int low = 10_000;
    int high = ephemeralPortRangeStart() - 1;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < 100 && high - low >= 1_000; i++) {
      int candidate = random.nextInt(low, high + 1);
      if (!PORTS_HANDED_OUT.contains(candidate)
          && canBind(candidate)
          && PORTS_HANDED_OUT.add(candidate)) {
        return candidate;
      }
    }
    for (int i = 0; i < 100; i++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
        if (PORTS_HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on " + HOST, e);
      }
    }
    throw new IllegalStateException("cannot find a free port on " + HOST);
  }

  private static int ephemeralPortRangeStart() {
    // Files.readString reads only the first byte of this /proc file (it reports a size of 0).
    try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      int start = Integer.parseInt(new String(in.readAllBytes(), UTF_8).trim().split("\\s+")[0]);
      return start >= 1_024 && start <= 65_535 ? start : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768; // Linux's default
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as redis-server does
      socket.bind(new InetSocketAddress(HOST, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String fileName(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static void kill(Process process) {
    process.destroyForcibly();
    try {
      process.waitFor(STOP_GRACE.toMillis(), MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!process.isAlive()) {
      PROCESSES.remove(process);
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // a leftover temporary file is harmless
                }
              });
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }

  /** The shutdown hook: SIGKILL every process still running, then remove the directories. */
  private static void killAll() {
    PROCESSES.forEach(Process::destroyForcibly);
    for (Process process : PROCESSES) {
      try {
        process.waitFor(2, SECONDS);
      } catch (InterruptedException e) {
        break;
      }
    }
    TEMP_DIRS.forEach(RedisServer::deleteRecursively);
  }
}
