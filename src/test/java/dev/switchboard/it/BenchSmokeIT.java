package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A few seconds of the benchmark harness against the real server: proves the harness and the server
 * agree on the protocol. Not a benchmark; numbers come from the README's bench commands.
 */
class BenchSmokeIT {

  /** With the bare relay the harness measures as its baseline. */
  private final ServerProcess server =
      ServerProcess.shared("bench", Map.of("BENCH_BASELINE_ENDPOINT", "true"));

  private String bench(String... args) throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("bench.jar", "bench/target/switchboard-bench.jar"));
    assertThat(jar).as("built by mvn verify before the integration tests").exists();
    Path out = Files.createTempDirectory("bench-smoke");
    List<String> command = new ArrayList<>(ServerProcess.javaCommand());
    command.add(jar.toString());
    command.addAll(List.of(args));
    command.addAll(List.of("--out", out.toString(), "--server-pid", String.valueOf(server.pid())));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(out.resolve("result.json")).exists();
    return output + "\n" + Files.readString(out.resolve("result.json"));
  }

  @Test
  void relaysAShortOpenLoopRunWithoutLossOrReordering() throws Exception {
    String output =
        bench(
            "relay",
            "--url",
            server.ws("/").toString(),
            "--rooms",
            "10",
            "--rate",
            "5",
            "--duration",
            "2s",
            "--warmup",
            "1s",
            "--drain",
            "1s");
    assertThat(output).containsPattern("step 1: .* loss 0 \\(0\\.000%\\), ooo 0,");
  }

  @Test
  void measuresTheBareBaselineStepByStepAndReportsTheRatio() throws Exception {
    String output =
        bench(
            "relay",
            "--url",
            server.ws("/").toString(),
            "--baseline-url",
            server.ws("/bench/baseline").toString(),
            "--rooms",
            "10",
            "--rate-steps",
            "40,80",
            "--duration",
            "2s",
            "--warmup",
            "1s",
            "--drain",
            "1s");
    for (String target : List.of("switchboard", "baseline")) {
      for (int step = 1; step <= 2; step++) {
        assertThat(output)
            .containsPattern(target + " step " + step + ": .* loss 0 \\(0\\.000%\\), ooo 0,");
      }
    }
    assertThat(output)
        .contains("Against the baseline")
        .containsPattern("\"cpuEfficiency\"\\s*:\\s*[0-9.]+")
        .containsPattern("\"deliveredRatio\"\\s*:\\s*(1|1\\.0|0\\.9[0-9]*)\\s*[,}]");
  }

  @Test
  void theBaselineRelaysUnchangedBetweenSocketsOfOneQueryOnly() {
    TestClient a = TestClient.open(server.ws("/bench/baseline?roomId=x"));
    TestClient b = TestClient.open(server.ws("/bench/baseline?roomId=x"));
    TestClient other = TestClient.open(server.ws("/bench/baseline?roomId=y"));
    a.send("not even JSON");
    assertThat(b.next()).isEqualTo("not even JSON");
    b.send("{\"type\":\"offer\",\"sdp\":\"v=0\",\"extra\":1}");
    assertThat(a.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v=0\",\"extra\":1}");
    other.send("alone");
    a.send("last");
    assertThat(b.next()).isEqualTo("last");
    assertThat(other.hasMessage()).as("no echo, nothing from another query").isFalse();
    assertThat(a.hasMessage()).isFalse();
    List.of(a, b, other).forEach(TestClient::close);
  }

  @Test
  void theBaselineDoesNotExistUnlessEnabled() {
    TestClient c =
        TestClient.attempt(
            ServerProcess.standard().ws("/bench/baseline?roomId=x"), Map.of(), List.of());
    assertThat(c.awaitClose()).isNotNull();
    assertThat(c.handshakeStatus())
        .as("no upgrade without BENCH_BASELINE_ENDPOINT")
        .isNotEqualTo("101");
  }

  @Test
  void holdsIdleConnectionsInRoomsOfTwo() throws Exception {
    String output =
        bench(
            "connections",
            "--url",
            server.ws("/").toString(),
            "--clients",
            "40",
            "--duration",
            "2s");
    assertThat(output)
        .containsPattern("\"stillConnected\"\\s*:\\s*40\\b")
        .containsPattern("\"closedDuringHold\"\\s*:\\s*0\\b")
        // a full GC in the server (jcmd) before each heap reading, read from its /metrics
        .containsPattern("\"heapAfterForcedGc\"\\s*:\\s*true")
        .containsPattern("\"heapPerConnKiB\"\\s*:\\s*-?[0-9]");
  }
}
