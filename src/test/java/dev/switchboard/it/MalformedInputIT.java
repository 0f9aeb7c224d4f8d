package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A battery of malformed input from one member of a room: every bad message earns its sender a
 * control reply, nothing reaches the other member, and the server relays normally afterwards.
 */
class MalformedInputIT {

  private static final long SEED = 20261128L;
  private static final int RANDOM_TEXTS = 500;
  private static final int PIPELINED_TRIALS = 300;

  private final ServerProcess server = ServerProcess.standard();

  @Test
  void answersEveryMalformedMessageAndStillRelays() {
    Pair pair = Pair.join(server, SignalingIT.room());
    TestClient attacker = pair.first();
    TestClient victim = pair.second();

    List<String> texts = new ArrayList<>(battery());
    Random random = new Random(SEED);
    for (int i = 0; i < RANDOM_TEXTS; i++) {
      texts.add(randomText(random));
    }
    for (String text : texts) {
      attacker.send(text);
    }
    int binaries = 0;
    for (byte[] bytes : invalidUtf8()) {
      attacker.send(ByteBuffer.wrap(bytes));
      binaries++;
    }

    int schemaErrors = 0;
    int invalidJson = 0;
    for (int i = 0; i < texts.size() + binaries; i++) {
      String reply = attacker.next();
      if (reply.startsWith("{\"type\":\"control\",\"action\":\"schema-error\"")) {
        schemaErrors++;
      } else if (reply.startsWith("{\"type\":\"control\",\"action\":\"invalid-json\"")) {
        invalidJson++;
      } else {
        throw new AssertionError("unexpected reply " + reply);
      }
    }
    System.out.printf(
        "[it] malformed battery: %d frames, %d schema-error, %d invalid-json%n",
        texts.size() + binaries, schemaErrors, invalidJson);
    assertThat(schemaErrors + invalidJson).isEqualTo(texts.size() + binaries);

    attacker.send("{\"type\":\"offer\",\"sdp\":\"still works\"}");
    assertThat(victim.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"still works\"}");
    assertThat(victim.poll()).as("nothing malformed was relayed").isNull();
  }

  @Test
  void closesATextFrameWithInvalidUtf8With1007AndKeepsServing() {
    String room = SignalingIT.room();
    try (RawWebSocket raw = RawWebSocket.connect(server.room(room))) {
      assertThat(raw.upgraded()).isTrue();
      raw.send(RawWebSocket.TEXT, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
      RawWebSocket.Frame close = raw.readUntil(RawWebSocket.CLOSE);
      assertThat(close).isNotNull();
      assertThat(close.closeCode()).isEqualTo(1007);
    }
    Pair pair = Pair.join(server, room);
    pair.first().send("{\"type\":\"answer\",\"sdp\":\"fine\"}");
    assertThat(pair.second().next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"fine\"}");
  }

  /**
   * Clients may not send before the 101, but some do. On Payara's Tyrus such a frame, read together
   * with the upgrade request, used to park the HTTP worker thread forever: a few hundred of them
   * stopped the whole server. Each trial here would then hang, and later ones find no thread.
   */
  @Test
  void relaysAFramePipelinedWithTheUpgradeRequestAndKeepsServing() throws InterruptedException {
    String room = SignalingIT.room();
    Pair pair = Pair.join(server, room);
    TestClient host = pair.first();
    pair.second().closeBlocking();
    assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");

    int relayed = 0;
    for (int trial = 0; trial < PIPELINED_TRIALS; trial++) {
      String offer = "{\"type\":\"offer\",\"sdp\":\"pipelined " + trial + "\"}";
      try (RawWebSocket raw = RawWebSocket.connectPipelining(server.room(room), offer)) {
        assertThat(raw.upgraded()).as("trial %d upgraded", trial).isTrue();
        if (host.next().equals(offer)) {
          relayed++;
        }
      }
      assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
    }
    System.out.printf(
        "[it] pipelined upgrades: %d trials, %d relayed%n", PIPELINED_TRIALS, relayed);
    assertThat(relayed).isEqualTo(PIPELINED_TRIALS);
    assertThat(server.status("/healthz")).isEqualTo(200);
  }

  /**
   * Java's HttpClient asks for an h2c upgrade on plain HTTP. Grizzly's HTTP/2 could deadlock both
   * worker threads on such connections (seen in CI: the listener never answered again), so the
   * server speaks HTTP/1.1 only, and many concurrent requests that ask for h2c all get answers.
   */
  @Test
  void answersConcurrentRequestsThatAskForHttp2OverHttp11() {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String path = i % 2 == 0 ? "/healthz" : "/no-such-page-" + i;
      responses.add(
          client.sendAsync(
              HttpRequest.newBuilder(server.http(path)).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> response : responses) {
      HttpResponse<String> r = response.join();
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(r.statusCode()).isIn(200, 404);
    }
    assertThat(server.status("/healthz")).isEqualTo(200);
  }

  static List<String> battery() {
    String deepArray = "[".repeat(50_000) + "]".repeat(50_000);
    String deepObject = "{\"a\":".repeat(20_000) + "1" + "}".repeat(20_000);
    return List.of(
        "",
        " ",
        "null",
        "true",
        "0",
        "-1e999",
        "\"just a string\"",
        "[]",
        "[{\"type\":\"offer\",\"sdp\":\"x\"}]",
        "{}",
        "{\"type\":null}",
        "{\"type\":\"offer\"}",
        "{\"type\":\"offer\",\"sdp\":\"\"}",
        "{\"type\":\"offer\",\"sdp\":{\"nested\":true}}",
        "{\"type\":\"answer\",\"sdp\":false}",
        "{\"type\":\"candidate\",\"candidate\":7}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":-3}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":null}",
        "{\"type\":\"control\",\"action\":\"\"}",
        "{\"type\":\"OFFER\",\"sdp\":\"x\"}",
        "{\"type\":\"peer-disconnected\"}",
        "{\"type\":\"control\",\"action\":\"x\",\"payload\":" + deepArray + "}",
        deepArray,
        deepObject,
        "{\"type\":\"offer\",\"sdp\":\"x\"}{\"type\":\"offer\",\"sdp\":\"y\"}",
        "{\"type\":\"offer\",\"sdp\":\"x\"",
        "{\"type\":\"offer\",\"sdp\":\"\\ud800\"",
        "{\"type\" \"offer\"}",
        "{'type':'offer','sdp':'x'}",
        "\u0000\u0001\u0002",
        "\uFEFF{\"type\":\"offer\",\"sdp\":\"bom\"}",
        "<html><body>not json</body></html>",
        "NaN",
        "{\"type\":\"offer\",\"sdp\":\"x\",}");
  }

  static List<byte[]> invalidUtf8() {
    return List.of(
        new byte[] {(byte) 0xFF},
        new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'},
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        "{\"type\":\"offer\",\"sdp\":\"".getBytes(StandardCharsets.UTF_8));
  }

  private static String randomText(Random random) {
    int length = 1 + random.nextInt(200);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append((char) (random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0xD7FF)));
    }
    return s.toString();
  }
}
