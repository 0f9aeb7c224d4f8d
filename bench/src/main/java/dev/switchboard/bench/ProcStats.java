package dev.switchboard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** Reads a process's CPU time and resident memory from /proc (Linux). */
public final class ProcStats {

  /** utime and stime in clock ticks, from one read of /proc/PID/stat. */
  public record CpuSnapshot(long utimeTicks, long stimeTicks, long wallNanos) {
    public long totalTicks() {
      return utimeTicks + stimeTicks;
    }
  }

  private ProcStats() {}

  /**
   * Parses a /proc/PID/stat line. The command name (field 2) is in parentheses and may itself hold
   * spaces and parentheses, so fields are counted from the last ')'. utime is field 14 and stime
   * field 15 (1-based, proc(5)).
   */
  public static CpuSnapshot parseStat(String line, long wallNanos) {
    int close = line.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException(
          "not a /proc/PID/stat line: no ')' after the command name");
    }
    String[] f = line.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state); field n is f[n - 3].
    if (f.length < 13) {
      throw new IllegalArgumentException(
          "not a /proc/PID/stat line: only " + (f.length + 2) + " fields");
    }
    try {
      return new CpuSnapshot(Long.parseLong(f[14 - 3]), Long.parseLong(f[15 - 3]), wallNanos);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a /proc/PID/stat line: utime/stime not numbers", e);
    }
  }

  /** VmRSS in bytes from the text of /proc/PID/status, if present. */
  public static OptionalLong parseVmRssBytes(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] p = line.substring(6).trim().split("\\s+");
        long v = Long.parseLong(p[0]);
        String unit = p.length > 1 ? p[1] : "kB";
        return OptionalLong.of(unit.equalsIgnoreCase("kB") ? v * 1024 : v);
      }
    }
    return OptionalLong.empty();
  }

  /**
   * CPU time the process used between two snapshots, per message, in microseconds. NaN when there
   * were no messages.
   */
  public static double cpuMicrosPerMessage(
      CpuSnapshot before, CpuSnapshot after, long clockTicksPerSecond, long messages) {
    if (messages <= 0) {
      return Double.NaN;
    }
    return cpuSeconds(before, after, clockTicksPerSecond) * 1e6 / messages;
  }

  public static double cpuSeconds(CpuSnapshot before, CpuSnapshot after, long clockTicksPerSecond) {
    long ticks = after.totalTicks() - before.totalTicks();
    if (ticks < 0) {
      throw new IllegalArgumentException("CPU time went backwards: was the process restarted?");
    }
    return (double) ticks / clockTicksPerSecond;
  }

  /**
   * Of the CPU time used between the snapshots, the share spent in the kernel (stime over utime +
   * stime); NaN when no time was used. For a signaling server this is mostly socket reads and
   * writes, epoll and thread wake-ups (futex): a cost per message that no change in the server's
   * own code removes.
   */
  public static double kernelShare(CpuSnapshot before, CpuSnapshot after) {
    long total = after.totalTicks() - before.totalTicks();
    long kernel = after.stimeTicks() - before.stimeTicks();
    if (total < 0 || kernel < 0) {
      throw new IllegalArgumentException("CPU time went backwards: was the process restarted?");
    }
    return total == 0 ? Double.NaN : (double) kernel / total;
  }

  /** Average cores busy between the snapshots (1.0 = one core fully used). */
  public static double coresUsed(CpuSnapshot before, CpuSnapshot after, long clockTicksPerSecond) {
    long wall = after.wallNanos() - before.wallNanos();
    return wall <= 0 ? Double.NaN : cpuSeconds(before, after, clockTicksPerSecond) / (wall / 1e9);
  }

  public static CpuSnapshot readCpu(long pid) throws IOException {
    String s = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
    return parseStat(s, System.nanoTime());
  }

  /**
   * CPU ticks (user + system) of each of the process's JIT compiler threads, by thread id: HotSpot
   * names them {@code C1 CompilerThreadN} and {@code C2 CompilerThreadN}, which {@code comm} cuts
   * to 15 characters. HotSpot starts and ends compiler threads as the work needs, so compare two
   * readings with {@link #jitTicksBetween}, thread by thread.
   */
  public static Map<String, Long> readJitTicks(long pid) throws IOException {
    Map<String, Long> ticks = new HashMap<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        try {
          if (isJitThread(Files.readString(task.resolve("comm"), StandardCharsets.UTF_8))) {
            ticks.put(
                pid + "/" + task.getFileName(),
                parseStat(Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII), 0)
                    .totalTicks());
          }
        } catch (IOException e) {
          // the thread ended between the listing and the read
        }
      }
    }
    return ticks;
  }

  /**
   * JIT seconds between two readings of {@link #readJitTicks}, or NaN when either is missing (no
   * {@code --server-pid}, or the process was gone).
   */
  public static double jitSeconds(Map<String, Long> before, Map<String, Long> after) {
    return before == null || after == null
        ? Double.NaN
        : (double) jitTicksBetween(before, after) / clockTicksPerSecond();
  }

  /**
   * JIT ticks spent between two readings: per thread, what it added (all of it for a thread that
   * started in between). A thread that ended in between is missing from {@code after}, and its
   * ticks in the window with it, so this can read low, never negative.
   */
  public static long jitTicksBetween(Map<String, Long> before, Map<String, Long> after) {
    long sum = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
    }
    return sum;
  }

  /** Whether a thread's {@code comm} is one of HotSpot's JIT compiler threads. */
  static boolean isJitThread(String comm) {
    String name = comm.strip();
    return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
  }

  public static OptionalLong readRssBytes(long pid) throws IOException {
    return parseVmRssBytes(
        Files.readString(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8));
  }

  private static volatile long clkTck = -1;

  /** {@code getconf CLK_TCK}, or 100 when that cannot be run. */
  public static long clockTicksPerSecond() {
    if (clkTck > 0) {
      return clkTck;
    }
    long v = 100;
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        v = Long.parseLong(out);
      }
    } catch (IOException | NumberFormatException e) {
      // keep 100
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clkTck = v;
    return v;
  }
}
