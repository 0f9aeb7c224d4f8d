package dev.switchboard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Forces a full garbage collection in server JVMs on this machine with the JDK's {@code jcmd PID
 * GC.run}, so that a heap reading afterwards counts live objects only. Without it, used heap before
 * and after connecting includes whatever garbage the young generation held at each moment, and heap
 * per connection is rough.
 *
 * <p>Only processes that have the JVM loaded are touched: jcmd attaches by sending SIGQUIT, which
 * ends a process that is not a JVM (a Node.js server, say).
 */
final class ServerGc {

  private ServerGc() {}

  /** Whether the process has HotSpot's {@code libjvm.so} mapped (false when it cannot be read). */
  static boolean isJvm(long pid) {
    try (var lines = Files.lines(Path.of("/proc/" + pid + "/maps"), StandardCharsets.US_ASCII)) {
      return lines.anyMatch(l -> l.endsWith("/libjvm.so"));
    } catch (IOException | java.io.UncheckedIOException e) {
      return false;
    }
  }

  /**
   * Runs a full GC in each JVM of {@code pids}, one after the other, each waited for. Returns one
   * line per process where it did not happen (not a JVM, jcmd failed or took longer than {@code
   * timeout}); empty when every one collected.
   */
  static List<String> run(List<Long> pids, Duration timeout) throws InterruptedException {
    List<String> failures = new ArrayList<>();
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    for (long pid : pids) {
      if (!isJvm(pid)) {
        failures.add(pid + ": not a JVM on this machine");
        continue;
      }
      try {
        Process p =
            new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                .redirectErrorStream(true)
                .start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          failures.add(pid + ": jcmd GC.run did not finish in " + timeout.toSeconds() + " s");
          continue;
        }
        // jcmd writes a line or two (a stack trace on failure): it has exited, so this never blocks
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0 || !out.contains("Command executed successfully")) {
          failures.add(pid + ": jcmd GC.run failed: " + firstProblem(out));
        }
      } catch (IOException e) {
        failures.add(pid + ": could not run " + jcmd + ": " + e.getMessage());
      }
    }
    return failures;
  }

  private static String firstProblem(String jcmdOutput) {
    for (String line : jcmdOutput.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.matches("\\d+:")) {
        return l;
      }
    }
    return "no output";
  }
}
