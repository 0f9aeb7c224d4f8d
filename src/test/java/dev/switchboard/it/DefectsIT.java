package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The two defects of the original server, each with a test that would catch it. */
class DefectsIT {

  private static final int OPEN_TRIALS = 1_000;
  private static final int SEQUENCED_MESSAGES = 10_000;
  private static final Pattern SEQ = Pattern.compile("\"payload\":(\\d+)");

  private final ServerProcess server = ServerProcess.standard();

  /** The original lost about 9 in 10 messages sent right after open. */
  @Test
  void noMessageSentTheInstantTheSocketOpensIsLost() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = Pair.join(server, room);
    TestClient host = pair.first();
    pair.second().closeBlocking();
    assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");

    int lost = 0;
    for (int trial = 0; trial < OPEN_TRIALS; trial++) {
      String offer = "{\"type\":\"offer\",\"sdp\":\"trial " + trial + "\"}";
      TestClient browser = TestClient.openSending(server.room(room), offer);
      String received = host.next();
      if (!received.equals(offer)) {
        lost++;
      }
      browser.closeBlocking();
      assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
    }
    System.out.printf("[it] open race: %d trials, %d lost%n", OPEN_TRIALS, lost);
    assertThat(lost).isZero();
  }

  /** The original awaited Redis per message, so one sender's messages could overtake each other. */
  @Test
  void oneSendersMessagesArriveInTheOrderSentBothWaysAtOnce() {
    Pair pair = Pair.join(server, SignalingIT.room());
    CompletableFuture<Void> aSends = CompletableFuture.runAsync(() -> sendSequence(pair.first()));
    CompletableFuture<Void> bSends = CompletableFuture.runAsync(() -> sendSequence(pair.second()));

    Outcome atB = receiveSequence(pair.second());
    Outcome atA = receiveSequence(pair.first());
    aSends.join();
    bSends.join();
    System.out.printf(
        "[it] ordering: %d messages each way; a->b %d out of order, b->a %d out of order%n",
        SEQUENCED_MESSAGES, atB.outOfOrder(), atA.outOfOrder());
    assertThat(atB).isEqualTo(new Outcome(SEQUENCED_MESSAGES, 0));
    assertThat(atA).isEqualTo(new Outcome(SEQUENCED_MESSAGES, 0));
  }

  record Outcome(int received, int outOfOrder) {}

  private static void sendSequence(TestClient client) {
    for (int i = 0; i < SEQUENCED_MESSAGES; i++) {
      client.send("{\"type\":\"control\",\"action\":\"seq\",\"payload\":" + i + "}");
    }
  }

  private static Outcome receiveSequence(TestClient client) {
    List<Integer> seen = new ArrayList<>(SEQUENCED_MESSAGES);
    for (int i = 0; i < SEQUENCED_MESSAGES; i++) {
      Matcher m = SEQ.matcher(client.next());
      assertThat(m.find()).isTrue();
      seen.add(Integer.parseInt(m.group(1)));
    }
    int outOfOrder = 0;
    for (int i = 0; i < seen.size(); i++) {
      if (seen.get(i) != i) {
        outOfOrder++;
      }
    }
    return new Outcome(seen.size(), outOfOrder);
  }
}
