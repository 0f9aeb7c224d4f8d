package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sender whose frames back up behind a Redis that does not take publishes (here paused with
 * {@code CLIENT PAUSE WRITE}) is closed with 1013 once its backlog passes {@code
 * BACKPRESSURE_CLOSE_THRESHOLD_BYTES}, as a slow reader is, instead of growing the heap without
 * bound; what it got accepted still arrives, in order.
 */
class RedisBacklogIT {

  private static final int LIMIT = 8_192;
  private static final Pattern SEQ = Pattern.compile("\"payload\":\\{\"seq\":(\\d+)");

  private static RedisServer redis;
  private static ServerProcess a;
  private static ServerProcess b;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("backlog");
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "backlog",
            Map.of(
                "REDIS_URL",
                redis.url(),
                "BACKPRESSURE_CLOSE_THRESHOLD_BYTES",
                String.valueOf(LIMIT)),
            "a",
            "b");
    a = started.get(0);
    b = started.get(1);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, b);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void aSenderBackedUpBehindRedisIsClosedWith1013AndWhatWasAcceptedArrivesInOrder() {
    Pair pair = ScaleOutIT.across(a, b, SignalingIT.room());
    // Frames of about 5 KB: the first is in flight to the paused Redis, the second waits in the
    // backlog, the third would take it past 8 KB. The client sends nothing after it, so the close
    // frame is not lost to a reset from data arriving after the server closed.
    String padding = "x".repeat(5_000);
    double overloaded = a.metric("signaling_backpressure_closes_total");

    redis.call("CLIENT", "PAUSE", "2000", "WRITE");
    for (int seq = 0; seq < 3; seq++) {
      pair.first()
          .send(
              "{\"type\":\"control\",\"action\":\"seq\",\"payload\":{\"seq\":"
                  + seq
                  + ",\"pad\":\""
                  + padding
                  + "\"}}");
    }

    assertThat(pair.first().awaitClose())
        .isEqualTo(new TestClient.Closed(1013, "Server overloaded", true));
    // b hears of the close once Redis takes writes again; everything before it arrives in order.
    List<Integer> received = new ArrayList<>();
    for (String m = pair.second().next(Duration.ofSeconds(15));
        !m.equals("{\"type\":\"peer-disconnected\"}");
        m = pair.second().next(Duration.ofSeconds(15))) {
      Matcher seq = SEQ.matcher(m);
      assertThat(seq.find()).as(m).isTrue();
      received.add(Integer.parseInt(seq.group(1)));
    }
    assertThat(received).containsExactly(0, 1);
    assertThat(a.metric("signaling_backpressure_closes_total")).isEqualTo(overloaded + 1);
  }
}
