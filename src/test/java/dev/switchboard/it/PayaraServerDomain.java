package dev.switchboard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A domain of a real, unpacked Payara Server, driven only through its own {@code asadmin}: created
 * with a port base of its own (so it never meets 4848 or 8080, nor another test's ports), started,
 * configured, stopped. Every command and its output go to one transcript under {@code
 * target/it-logs}. While the domain runs, a JVM shutdown hook kills it should the test JVM end
 * before {@link #stop()}; a domain left by a test JVM that was killed outright is killed and
 * deleted by the next {@link #create}.
 */
final class PayaraServerDomain {

  /** Offsets from the port base that {@code create-domain --portbase} assigns. */
  private static final int ADMIN = 48;

  private static final int HTTP = 80;
  private static final int JMX = 86;
  private static final int[] ALL_OFFSETS = {9, 37, 38, 39, 48, 49, 59, 66, 76, 80, 81, 86};

  /** Below Linux's ephemeral range (32768+), where the other tests' free ports come from. */
  private static final int LOWEST_BASE = 10_000;

  private static final int HIGHEST_BASE = 32_000;

  /** Variables of the application that the test JVM's environment must not pass to the domain. */
  private static final List<String> APPLICATION_VARIABLES =
      List.of("PORT", "WS_PORT", "HEALTH_PORT", "REDIS_URL", "REDISSON_CONFIG", "ENABLE_AUTH");

  private final Path asadmin;
  private final Path domainDir;
  private final String name;
  private final int portBase;
  private final Path transcript;
  private final Thread killOnExit = new Thread(this::kill, "payara-server-domain-guard");
  private volatile boolean running;

  private PayaraServerDomain(
      Path asadmin, Path domainDir, String name, int portBase, Path transcript) {
    this.asadmin = asadmin;
    this.domainDir = domainDir;
    this.name = name;
    this.portBase = portBase;
    this.transcript = transcript;
  }

  /** Creates {@code name} afresh under {@code domainDir}, on ports nothing else holds. */
  static PayaraServerDomain create(Path home, Path domainDir, String name, Path transcript) {
    Path asadmin = home.resolve("bin").resolve("asadmin");
    try {
      Files.createDirectories(transcript.getParent());
      Files.writeString(transcript, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PayaraServerDomain leftover = new PayaraServerDomain(asadmin, domainDir, name, 0, transcript);
    if (Files.isDirectory(domainDir.resolve(name))) {
      leftover.kill(); // a test JVM that was killed outright could not stop it
      deleteRecursively(domainDir.resolve(name));
    }
    int base = freePortBase();
    PayaraServerDomain domain = new PayaraServerDomain(asadmin, domainDir, name, base, transcript);
    domain.run(
        Duration.ofMinutes(3),
        "create-domain",
        "--nopassword",
        "--portbase",
        String.valueOf(base),
        "--domaindir",
        domainDir.toString(),
        name);
    return domain;
  }

  int adminPort() {
    return portBase + ADMIN;
  }

  int httpPort() {
    return portBase + HTTP;
  }

  int jmxPort() {
    return portBase + JMX;
  }

  int portBase() {
    return portBase;
  }

  Path serverLog() {
    return domainDir.resolve(name).resolve("logs").resolve("server.log");
  }

  Path transcript() {
    return transcript;
  }

  /**
   * {@code asadmin start-domain}, with {@code environment} added to asadmin's own, which the
   * domain's JVM inherits; returns once the domain answers its admin port.
   */
  void start(Map<String, String> environment) {
    if (!running) {
      Runtime.getRuntime().addShutdownHook(killOnExit);
      running = true;
    }
    run(
        Duration.ofMinutes(5),
        environment,
        "start-domain",
        "--domaindir",
        domainDir.toString(),
        name);
  }

  /** {@code asadmin stop-domain}; the shutdown guard goes once the domain is down. */
  void stop() {
    run(Duration.ofMinutes(2), "stop-domain", "--domaindir", domainDir.toString(), name);
    if (running) {
      running = false;
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    }
  }

  /** A remote command to this domain's admin port, e.g. {@code deploy}; its output. */
  String remote(Duration timeout, String... command) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--interactive=false",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(adminPort()),
                "--user",
                "admin"));
    args.addAll(List.of(command));
    return run(timeout, args.toArray(String[]::new));
  }

  /** Kills the domain's JVM if it runs; never throws (also the shutdown guard). */
  private void kill() {
    try {
      run(
          Duration.ofMinutes(1),
          "stop-domain",
          "--kill",
          "--domaindir",
          domainDir.toString(),
          name);
    } catch (RuntimeException | AssertionError e) {
      System.out.println("[it] payara server: killing domain " + name + " failed: " + e);
    }
  }

  /** Runs asadmin; fails with its output and the end of the server log unless it exits 0. */
  private String run(Duration timeout, String... args) {
    return run(timeout, Map.of(), args);
  }

  private String run(Duration timeout, Map<String, String> environment, String... args) {
    List<String> command = new ArrayList<>(List.of(asadmin.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeAll(APPLICATION_VARIABLES);
    builder.environment().putAll(environment);
    // The domain runs on the JDK that runs the tests (asadmin would otherwise search the PATH).
    builder.environment().put("AS_JAVA", System.getProperty("java.home"));
    try {
      Path output = Files.createTempFile(transcript.getParent(), "asadmin", ".out");
      try {
        builder.redirectOutput(output.toFile());
        long started = System.nanoTime();
        Process process = builder.start();
        boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        Files.writeString(
            transcript,
            "$ asadmin "
                + String.join(" ", args)
                + "\n"
                + text
                + "("
                + (exited ? "exit " + process.exitValue() : "timed out")
                + ", "
                + millis
                + " ms)\n\n",
            StandardOpenOption.APPEND);
        if (!exited || process.exitValue() != 0) {
          throw new AssertionError(
              "asadmin "
                  + String.join(" ", args)
                  + (exited ? " exited " + process.exitValue() : " timed out after " + timeout)
                  + ":\n"
                  + text
                  + "\nEnd of "
                  + serverLog()
                  + ":\n"
                  + tail(serverLog(), 40));
        }
        return text;
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** A port base whose every assigned port is free now, on the wildcard address as Payara binds. */
  private static int freePortBase() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base =
          ThreadLocalRandom.current().nextInt(LOWEST_BASE / 100, HIGHEST_BASE / 100 + 1) * 100;
      boolean free = true;
      for (int offset : ALL_OFFSETS) {
        free &= isFree(base + offset);
      }
      if (free) {
        return base;
      }
    }
    throw new AssertionError("no free Payara Server port base between 10000 and 32000");
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "Payara Server domain " + name + " (admin port " + adminPort() + ")";
  }
}
