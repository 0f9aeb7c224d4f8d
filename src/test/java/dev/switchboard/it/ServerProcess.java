package dev.switchboard.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The real uber-jar ({@code target/switchboard.jar}) started as a child process with its own
 * environment, exactly as the README's run command starts it. One process per distinct
 * configuration is shared by every test class in the run and stopped when the test JVM exits.
 */
public final class ServerProcess {

  private static final Map<String, ServerProcess> SHARED = new ConcurrentHashMap<>();
  private static final List<String> RATE_LIMITS =
      List.of(
          "RATE_LIMIT_CONN_PER_10S",
          "RATE_LIMIT_MESSAGES_PER_10S",
          "RATE_LIMIT_IP_MSGS_PER_10S",
          "RATE_LIMIT_ROOM_MSGS_PER_10S");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final Process process;
  private final int port;
  private final int healthPort;
  private final Path log;
  private volatile Duration startup = Duration.ZERO;

  private ServerProcess(String name, Process process, int port, int healthPort, Path log) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.healthPort = healthPort;
    this.log = log;
  }

  /** The server with all defaults (but free ports). */
  public static ServerProcess standard() {
    return shared("standard", Map.of());
  }

  /** A server started once per test run for {@code name}, with extra environment variables. */
  public static ServerProcess shared(String name, Map<String, String> env) {
    return SHARED.computeIfAbsent(name, n -> start(n, env));
  }

  public static Path jar() {
    return Path.of(System.getProperty("switchboard.jar", "target/switchboard.jar"));
  }

  public static ServerProcess start(String name, Map<String, String> env) {
    int port = freePort();
    int healthPort = freePort();
    Path log = Path.of("target", "it-logs", name + ".log");
    List<String> command = new ArrayList<>(javaCommand());
    command.add(jar().toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    try {
      Files.createDirectories(log.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    builder.redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.equals("REDIS_URL") || k.equals("PORT"));
    builder.environment().put("PORT", String.valueOf(port));
    builder.environment().put("HEALTH_PORT", String.valueOf(healthPort));
    // Tests open thousands of connections and send thousands of messages from 127.0.0.1: the
    // rate limits are off (0) unless a test sets them (RateLimitIT checks them).
    for (String limit : RATE_LIMITS) {
      builder.environment().put(limit, "0");
    }
    builder.environment().putAll(env);
    long started = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int effectivePort = Integer.parseInt(builder.environment().get("PORT"));
    ServerProcess server = new ServerProcess(name, process, effectivePort, healthPort, log);
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
    try {
      awaitReady(name, process, server, log);
    } catch (RuntimeException notReady) {
      threadDump(process, log);
      throw notReady;
    }
    server.startup = Duration.ofNanos(System.nanoTime() - started);
    System.out.printf(
        "[it] server %s ready on port %d in %d ms%n",
        name, effectivePort, server.startup.toMillis());
    return server;
  }

  private static void awaitReady(String name, Process process, ServerProcess server, Path log) {
    await("server " + name + " ready (log: " + log + ")")
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(200))
        .failFast("server process exited", () -> !process.isAlive())
        .failFast("the application failed to deploy", () -> deploymentFailed(log))
        .until(() -> server.status("/readyz") == 200);
  }

  /** A server that never got ready: its threads, next to its log, for whoever reads the failure. */
  private static void threadDump(Process process, Path log) {
    Path dump = log.resolveSibling(log.getFileName() + ".threads.txt");
    try {
      Process jstack =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                  String.valueOf(process.pid()))
              .redirectErrorStream(true)
              .redirectOutput(dump.toFile())
              .start();
      jstack.waitFor(20, TimeUnit.SECONDS);
      System.out.println("[it] thread dump of the server that never got ready: " + dump);
    } catch (IOException e) {
      System.out.println("[it] no thread dump: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean deploymentFailed(Path log) {
    try {
      return Files.readString(log).contains("Exception while loading the app");
    } catch (IOException e) {
      return false;
    }
  }

  static List<String> javaCommand() {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar");
  }

  public URI ws(String pathAndQuery) {
    return URI.create("ws://127.0.0.1:" + port + pathAndQuery);
  }

  public URI room(String roomId) {
    return ws("/?roomId=" + roomId);
  }

  public URI http(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  public int port() {
    return port;
  }

  public int healthPort() {
    return healthPort;
  }

  public Duration startup() {
    return startup;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public int status(String path) {
    return get(http(path)).statusCode();
  }

  public static HttpResponse<String> get(URI uri) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new FailedResponse(uri, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends SIGTERM and waits for the process to exit; returns how long that took. */
  public Duration terminate(Duration atMost) throws InterruptedException {
    long start = System.nanoTime();
    process.destroy();
    if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(this + " did not exit within " + atMost);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** The sum of a metric's series at {@code /prometheus}, the documented scrape path. */
  public double metric(String series) {
    String body = get(http("/prometheus")).body();
    return body.lines()
        .filter(line -> line.startsWith(series + " ") || line.startsWith(series + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The sum of a metric's series that carry {@code label} (e.g. {@code limit="messages"}). */
  public double metric(String name, String label) {
    String body = get(http("/prometheus")).body();
    return body.lines()
        .filter(line -> line.startsWith(name + "{") && line.contains(label))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** SIGKILL: the instance dies without a chance to clean up. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /**
   * Starts one server per id at once (each start mostly waits on its own JVM), named {@code
   * prefix-id} in the logs and in {@code INSTANCE_ID}, each with {@code env}.
   */
  public static List<ServerProcess> startInstances(
      String prefix, Map<String, String> env, String... ids) {
    List<java.util.concurrent.CompletableFuture<ServerProcess>> starting = new ArrayList<>();
    for (String id : ids) {
      Map<String, String> withId = new java.util.HashMap<>(env);
      withId.put("INSTANCE_ID", prefix + "-" + id);
      starting.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> start(prefix + "-" + id, withId)));
    }
    return starting.stream().map(java.util.concurrent.CompletableFuture::join).toList();
  }

  /** Stops the given servers; null stands for one that never started. */
  public static void stopAll(ServerProcess... servers) {
    for (ServerProcess server : servers) {
      if (server != null) {
        server.stop();
      }
    }
  }

  public int exitValue() {
    return process.exitValue();
  }

  public void stop() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "server " + name + " on " + port;
  }
}
