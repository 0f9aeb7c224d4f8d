package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcStatsTest {

  // A real-shaped /proc/PID/stat line: utime (field 14) = 1500, stime (15) = 300.
  static final String STAT_BEFORE =
      "24955 (java) S 1 24955 1 0 -1 4194560 160313 0 12 0 1500 300 0 0 20 0 62 0 "
          + "277823 9376280576 149257 18446744073709551615 1 1 0 0 0 0 0 4096 16796879 0 0 0 17 1 0 0 0 0 0";
  static final String STAT_AFTER =
      "24955 (java) S 1 24955 1 0 -1 4194560 160313 0 12 0 1900 400 0 0 20 0 62 0 "
          + "277823 9376280576 149257 18446744073709551615 1 1 0 0 0 0 0 4096 16796879 0 0 0 17 1 0 0 0 0 0";

  @Test
  void parsesUtimeAndStimeFromStatLine() {
    ProcStats.CpuSnapshot s = ProcStats.parseStat(STAT_BEFORE, 0);

    assertThat(s.utimeTicks()).isEqualTo(1500);
    assertThat(s.stimeTicks()).isEqualTo(300);
    assertThat(s.totalTicks()).isEqualTo(1800);
  }

  @Test
  void kernelShareIsSystemTimeOverAllTimeBetweenReadings() {
    ProcStats.CpuSnapshot before = ProcStats.parseStat(STAT_BEFORE, 0);
    ProcStats.CpuSnapshot after = ProcStats.parseStat(STAT_AFTER, 0);

    // 400 user + 100 system ticks in between.
    assertThat(ProcStats.kernelShare(before, after)).isCloseTo(0.2, within(1e-9));
    assertThat(ProcStats.kernelShare(after, after)).isNaN();
    assertThatThrownBy(() -> ProcStats.kernelShare(after, before))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void kernelShareOfSeveralServersWeighsEachByItsCpu() {
    var before =
        java.util.List.of(
            new ProcStats.CpuSnapshot(0, 0, 0), new ProcStats.CpuSnapshot(1000, 1000, 0));
    // The first server used 300 user + 100 system ticks, the second 100 user + 500 system.
    var after =
        java.util.List.of(
            new ProcStats.CpuSnapshot(300, 100, 0), new ProcStats.CpuSnapshot(1100, 1500, 0));

    assertThat(Bench.kernelShare(before, after)).isCloseTo(0.6, within(1e-9));
    java.util.List<ProcStats.CpuSnapshot> unreadable = new java.util.ArrayList<>(after);
    unreadable.set(1, null);
    assertThat(Bench.kernelShare(before, unreadable)).isNaN();
    // One server restarted (its ticks went back) while the other's grew: no share, not a blend.
    var restarted =
        java.util.List.of(
            new ProcStats.CpuSnapshot(300, 100, 0), new ProcStats.CpuSnapshot(10, 5, 0));
    assertThat(Bench.kernelShare(before, restarted)).isNaN();
  }

  @Test
  void commandNameWithSpacesAndParenthesesDoesNotShiftFields() {
    String odd = "77 (my (odd) proc) R 1 77 1 0 -1 0 0 0 0 0 42 8 0 0 20 0 1 0 100 0 0";
    ProcStats.CpuSnapshot s = ProcStats.parseStat(odd, 0);

    assertThat(s.utimeTicks()).isEqualTo(42);
    assertThat(s.stimeTicks()).isEqualTo(8);
  }

  @Test
  void recognisesHotSpotsJitCompilerThreadsByTheirCutNames() {
    assertThat(ProcStats.isJitThread("C2 CompilerThre\n")).isTrue();
    assertThat(ProcStats.isJitThread("C1 CompilerThre")).isTrue();
    assertThat(ProcStats.isJitThread("http-thread-poo")).isFalse();
    assertThat(ProcStats.isJitThread("CompilerThread0")).isFalse();
  }

  @Test
  void jitTicksOfThisJvmAreFoundAndCannotExceedItsCpu() throws Exception {
    long pid = ProcessHandle.current().pid();
    long jit = ProcStats.jitTicksBetween(Map.of(), ProcStats.readJitTicks(pid));
    ProcStats.CpuSnapshot all = ProcStats.readCpu(pid);
    // This JVM has compiled the test classes' callers by now: its compiler threads have run.
    assertThat(jit).isPositive().isLessThanOrEqualTo(all.totalTicks());
  }

  @Test
  void jitTicksAreComparedThreadByThreadAsCompilerThreadsComeAndGo() {
    Map<String, Long> before = Map.of("1/10", 500L, "1/11", 300L);
    // 1/10 compiled 40 more ticks, 1/11 ended (its ticks leave the sum), 1/12 started with 25.
    Map<String, Long> after = Map.of("1/10", 540L, "1/12", 25L);
    assertThat(ProcStats.jitTicksBetween(before, after)).isEqualTo(65);
    assertThat(ProcStats.jitTicksBetween(after, before)).as("never negative").isEqualTo(300);
  }

  @Test
  void jitSecondsAreUnknownWithoutBothReadings() {
    Map<String, Long> before = Map.of("1/10", 0L);
    Map<String, Long> after = Map.of("1/10", ProcStats.clockTicksPerSecond() * 3);
    assertThat(ProcStats.jitSeconds(before, after)).isEqualTo(3.0);
    assertThat(ProcStats.jitSeconds(null, after)).isNaN();
    assertThat(ProcStats.jitSeconds(before, null)).isNaN();
  }

  @Test
  void cpuPerMessageFromTwoSnapshots() {
    ProcStats.CpuSnapshot before = ProcStats.parseStat(STAT_BEFORE, 0);
    ProcStats.CpuSnapshot after = ProcStats.parseStat(STAT_AFTER, 10_000_000_000L);

    // 500 ticks at 100/s = 5 s CPU over 100,000 messages = 50 us each
    assertThat(ProcStats.cpuSeconds(before, after, 100)).isCloseTo(5.0, within(1e-9));
    assertThat(ProcStats.cpuMicrosPerMessage(before, after, 100, 100_000))
        .isCloseTo(50.0, within(1e-9));
    assertThat(ProcStats.coresUsed(before, after, 100)).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void cpuPerMessageRespectsTheClockTickRate() {
    ProcStats.CpuSnapshot before = ProcStats.parseStat(STAT_BEFORE, 0);
    ProcStats.CpuSnapshot after = ProcStats.parseStat(STAT_AFTER, 1);

    assertThat(ProcStats.cpuMicrosPerMessage(before, after, 1000, 100_000))
        .isCloseTo(5.0, within(1e-9));
  }

  @Test
  void cpuPerMessageIsNaNWithoutMessages() {
    ProcStats.CpuSnapshot s = ProcStats.parseStat(STAT_BEFORE, 0);

    assertThat(ProcStats.cpuMicrosPerMessage(s, s, 100, 0)).isNaN();
  }

  @Test
  void cpuGoingBackwardsIsRejected() {
    ProcStats.CpuSnapshot before = ProcStats.parseStat(STAT_AFTER, 0);
    ProcStats.CpuSnapshot after = ProcStats.parseStat(STAT_BEFORE, 1);

    assertThatThrownBy(() -> ProcStats.cpuSeconds(before, after, 100))
        .hasMessageContaining("backwards");
  }

  @Test
  void malformedStatLineIsRejectedWithAClearMessage() {
    assertThatThrownBy(() -> ProcStats.parseStat("garbage", 0))
        .hasMessageContaining("/proc/PID/stat");
    assertThatThrownBy(() -> ProcStats.parseStat("1 (x) S 1 2", 0)).hasMessageContaining("fields");
  }

  @Test
  void readsVmRssInBytesFromStatus() {
    String status =
        "Name:\tjava\nVmPeak:\t 9376280 kB\nVmRSS:\t  583192 kB\nRssAnon:\t 500000 kB\n";

    assertThat(ProcStats.parseVmRssBytes(status)).hasValue(583_192L * 1024);
  }

  @Test
  void missingVmRssIsEmpty() {
    assertThat(ProcStats.parseVmRssBytes("Name:\tkthreadd\nState:\tS\n")).isEmpty();
  }
}
