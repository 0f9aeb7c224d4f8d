package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SIGTERM drains: every client is told to reconnect, closed with 1012, and the process exits. */
class DrainIT {

  private static final int ROOMS = 10;
  private static final long DRAIN_TIMEOUT_MS = 5_000;

  @Test
  void sigtermTellsEveryClientToReconnectClosesWith1012AndExits() throws InterruptedException {
    ServerProcess server =
        ServerProcess.start("drain", Map.of("DRAIN_TIMEOUT_MS", String.valueOf(DRAIN_TIMEOUT_MS)));
    List<TestClient> clients = new ArrayList<>();
    for (int i = 0; i < ROOMS; i++) {
      Pair pair = Pair.join(server, SignalingIT.room());
      clients.add(pair.first());
      clients.add(pair.second());
    }

    Duration exit = server.terminate(Duration.ofMillis(DRAIN_TIMEOUT_MS + 15_000));

    for (TestClient client : clients) {
      assertThat(client.awaitClose())
          .isEqualTo(new TestClient.Closed(1012, "Server draining", true));
      List<String> received = new ArrayList<>();
      for (String m = client.poll(); m != null; m = client.poll()) {
        received.add(m);
      }
      assertThat(received)
          .contains(
              "{\"type\":\"control\",\"action\":\"reconnect\",\"payload\":{\"reason\":\"draining\"}}")
          .allMatch(m -> m.contains("reconnect") || m.equals("{\"type\":\"peer-disconnected\"}"));
    }
    System.out.printf(
        "[it] drain: %d clients, process exited %d ms after SIGTERM (exit code %d)%n",
        clients.size(), exit.toMillis(), server.exitValue());
  }
}
