package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerGcTest {

  static final long SELF = ProcessHandle.current().pid();

  /**
   * Full collections of this JVM so far: those of the collector that is not the young one (G1's "G1
   * Old Generation", Serial's "MarkSweepCompact", Parallel's "PS MarkSweep"). An idle test JVM runs
   * none of them on its own; {@code jcmd GC.run} (System.gc()) runs one.
   */
  static long fullCollections() {
    long n = 0;
    boolean found = false;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      String name = gc.getName();
      if (name.contains("Old") || name.contains("MarkSweep")) {
        n += gc.getCollectionCount();
        found = true;
      }
    }
    assertThat(found)
        .as("a full collector among " + ManagementFactory.getGarbageCollectorMXBeans())
        .isTrue();
    return n;
  }

  @Test
  void runsAFullCollectionInAJvm() throws Exception {
    assertThat(ServerGc.isJvm(SELF)).isTrue();
    long before = fullCollections();

    List<String> failures = ServerGc.run(List.of(SELF), Duration.ofSeconds(60));

    assertThat(failures).isEmpty();
    assertThat(fullCollections()).isGreaterThan(before);
  }

  @Test
  void leavesAProcessThatIsNotAJvmAlone() throws Exception {
    // jcmd would send it SIGQUIT, which ends a process that is not a JVM
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      assertThat(ServerGc.isJvm(sleeper.pid())).isFalse();

      List<String> failures = ServerGc.run(List.of(sleeper.pid()), Duration.ofSeconds(60));

      assertThat(failures).containsExactly(sleeper.pid() + ": not a JVM on this machine");
      assertThat(sleeper.isAlive()).isTrue();
    } finally {
      sleeper.destroyForcibly().waitFor();
    }
  }

  @Test
  void reportsAProcessThatIsGone() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();

    assertThat(ServerGc.run(List.of(done.pid(), SELF), Duration.ofSeconds(60)))
        .containsExactly(done.pid() + ": not a JVM on this machine");
  }
}
