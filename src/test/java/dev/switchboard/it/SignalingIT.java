package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The v1 protocol of the original server, driven through the real uber-jar with real clients. */
class SignalingIT {

  private final ServerProcess server = ServerProcess.standard();

  static String room() {
    return "room-" + UUID.randomUUID();
  }

  @Test
  void relaysOfferAnswerAndCandidatesBetweenHostAndBrowser() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient host = pair.first();
    TestClient browser = pair.second();

    browser.send("{\"type\":\"offer\",\"sdp\":\"v=0 offer\"}");
    assertThat(host.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v=0 offer\"}");
    host.send("{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}");
    assertThat(browser.next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"v=0 answer\"}");
    browser.send(
        "{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 2122260223 127.0.0.1 50000"
            + " typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}");
    assertThat(host.next())
        .contains("\"type\":\"candidate\"", "\"sdpMid\":\"0\"", "\"sdpMLineIndex\":0");
    host.send("{\"type\":\"control\",\"action\":\"bitrate\",\"payload\":{\"kbps\":8000}}");
    assertThat(browser.next())
        .isEqualTo("{\"type\":\"control\",\"action\":\"bitrate\",\"payload\":{\"kbps\":8000}}");
  }

  @Test
  void stripsUnknownFieldsAndNeverEchoesToTheSender() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();

    a.send("{\"type\":\"offer\",\"sdp\":\"x\",\"senderId\":\"spoofed\",\"admin\":true}");
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"x\"}");
    b.send("{\"type\":\"answer\",\"sdp\":\"y\"}");
    // Had a's offer been echoed, it would have been queued to a before b's answer.
    assertThat(a.next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"y\"}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"?roomId=", "/?roomId=", "/ws?roomId="})
  void joinsByRoomIdOnEveryPathTheClientsUse(String prefix) {
    String room = room();
    TestClient a = TestClient.open(server.ws(prefix + room));
    TestClient b = TestClient.open(server.ws(prefix + room));
    Pair.awaitSync(a, b);
    a.send("{\"type\":\"offer\",\"sdp\":\"v\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v\"}");
  }

  @Test
  void membersOfDifferentPathsShareTheRoom() {
    String room = room();
    TestClient a = TestClient.open(server.ws("/ws?roomId=" + room));
    TestClient b = TestClient.open(server.ws("/?roomId=" + room));
    Pair.awaitSync(a, b);
    a.send("{\"type\":\"offer\",\"sdp\":\"v\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/",
        "/?roomId=",
        "/?other=1",
        "/?roomId=has%20space",
        "/?roomId=semi;colon",
        "/?roomId=%C3%A9t%C3%A9",
        "/?roomId=slash%2Fin"
      })
  void refusesInvalidRoomIdsWith1008(String pathAndQuery) {
    TestClient client = TestClient.attempt(server.ws(pathAndQuery), Map.of(), List.of());
    assertThat(client.awaitClose()).isEqualTo(new TestClient.Closed(1008, "Invalid roomId", true));
  }

  @Test
  void acceptsRoomIdsUpToTheMaximumLengthAndAllAllowedCharacters() {
    String longest = "a".repeat(64);
    TestClient ok = TestClient.open(server.room(longest));
    TestClient punctuated = TestClient.open(server.room("Az09_-:." + UUID.randomUUID()));
    TestClient tooLong = TestClient.attempt(server.room("a".repeat(65)), Map.of(), List.of());
    assertThat(tooLong.awaitClose().reason()).isEqualTo("Invalid roomId");
    assertThat(ok.isOpen()).isTrue();
    assertThat(punctuated.isOpen()).isTrue();
  }

  @Test
  void closesTheThirdMemberWithRoomIsFull() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();
    TestClient c = TestClient.attempt(server.room(room), Map.of(), List.of());
    assertThat(c.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    // The two members still talk, and the refused one never counted as a member.
    a.send("{\"type\":\"offer\",\"sdp\":\"v\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v\"}");
  }

  @Test
  void freesTheSeatAndTellsTheOthersWhenAMemberLeaves() throws InterruptedException {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient host = pair.first();
    TestClient browser = pair.second();
    browser.closeBlocking();
    assertThat(host.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");

    TestClient again = TestClient.open(server.room(room));
    Pair.awaitSync(host, again);
    again.send("{\"type\":\"offer\",\"sdp\":\"second session\"}");
    assertThat(host.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"second session\"}");
  }

  @Test
  void repliesSchemaErrorForJsonThatBreaksTheSchemaAndKeepsTheConnection() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();

    a.send("{\"type\":\"offer\",\"sdp\":42}");
    assertThat(a.next()).startsWith("{\"type\":\"control\",\"action\":\"schema-error\"");
    a.send("[1,2,3]");
    assertThat(a.next()).startsWith("{\"type\":\"control\",\"action\":\"schema-error\"");
    a.send("{\"type\":\"offer\",\"sdp\":\"after errors\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"after errors\"}");
    assertThat(b.poll()).isNull();
  }

  @Test
  void repliesInvalidJsonForTextThatIsNotJson() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();
    a.send("hello there");
    assertThat(a.next())
        .startsWith("{\"type\":\"control\",\"action\":\"invalid-json\"")
        .contains("not valid JSON");
    a.send("{\"type\":\"answer\",\"sdp\":\"still here\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"still here\"}");
  }

  @Test
  void relaysJsonSentInBinaryFramesAsText() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();
    a.send(
        ByteBuffer.wrap("{\"type\":\"offer\",\"sdp\":\"bin\"}".getBytes(StandardCharsets.UTF_8)));
    assertThat(b.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"bin\"}");
  }

  /** An upgrade creates no HTTP session: the 101 sets no cookie (as on Liberty, LibertySmokeIT). */
  @Test
  void anUpgradeCreatesNoHttpSession() {
    assertUpgradeSetsNoCookie(server.room(room()));
  }

  /** Upgrades to {@code room} and checks that the 101 sets no cookie (no HTTP session made). */
  static void assertUpgradeSetsNoCookie(URI room) {
    try (RawWebSocket raw = RawWebSocket.connect(room)) {
      assertThat(raw.upgraded()).as(raw.statusLine()).isTrue();
      assertThat(raw.header("Sec-WebSocket-Accept"))
          .as("the response's headers are read")
          .hasSize(1);
      assertThat(raw.header("Set-Cookie")).as("cookies set by the 101").isEmpty();
    }
  }

  /**
   * Frames that reach the server in many reads, split inside headers and payloads, and a large one
   * that outgrows the server's first buffer: each is relayed whole and in order.
   */
  @Test
  void relaysFramesThatArriveSplitAcrossManyReads() {
    String room = room();
    TestClient b = TestClient.open(server.room(room));
    try (RawWebSocket a = RawWebSocket.connect(server.room(room))) {
      assertThat(a.upgraded()).isTrue();
      String small = "{\"type\":\"candidate\",\"candidate\":\"c1\"}";
      String large = "{\"type\":\"offer\",\"sdp\":\"" + "v=0 é ".repeat(30_000) + "\"}";
      String medium = "{\"type\":\"answer\",\"sdp\":\"" + "y".repeat(300) + "\"}";
      a.sendTextInPieces(3, small, medium);
      assertThat(b.next()).isEqualTo(small);
      assertThat(b.next()).isEqualTo(medium);
      a.sendTextInPieces(4_099, large, small, medium, large);
      assertThat(b.next()).isEqualTo(large);
      assertThat(b.next()).isEqualTo(small);
      assertThat(b.next()).isEqualTo(medium);
      assertThat(b.next()).isEqualTo(large);
    }
    b.close();
  }

  @Test
  void closesWith1009WhenAFrameExceedsTheMessageLimit() {
    String room = room();
    Pair pair = Pair.join(server, room);
    TestClient a = pair.first();
    TestClient b = pair.second();
    a.send("{\"type\":\"offer\",\"sdp\":\"" + "x".repeat(262_144) + "\"}");
    assertThat(a.awaitClose().code()).isEqualTo(1009);
    assertThat(b.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
  }

  @Test
  void answersPlainHttpOnTheWebSocketPathsWith426() {
    assertThat(server.status("/")).isEqualTo(426);
    assertThat(server.status("/ws")).isEqualTo(426);
    assertThat(server.status("/?roomId=abc")).isEqualTo(426);
  }

  @Test
  void servesHealthReadinessAndMetricsOnTheMainPortAndTheHealthPort() {
    assertThat(ServerProcess.get(server.http("/healthz")).body()).isEqualTo("ok");
    assertThat(ServerProcess.get(server.http("/readyz")).body()).isEqualTo("ready");
    URI health = URI.create("http://127.0.0.1:" + server.healthPort());
    assertThat(ServerProcess.get(health.resolve("/healthz")).body()).isEqualTo("ok");
    assertThat(ServerProcess.get(health.resolve("/readyz")).statusCode()).isEqualTo(200);
    assertThat(ServerProcess.get(health.resolve("/")).statusCode()).isEqualTo(404);
    assertThat(ServerProcess.get(health.resolve("/prometheus")).body())
        .as("the scrape path is served on the health port too")
        .contains("# TYPE signaling_active_connections gauge");
    assertThat(ServerProcess.get(server.http("/health/live")).statusCode()).isEqualTo(200);
    assertThat(ServerProcess.get(server.http("/health/ready")).body())
        .contains("\"status\":\"UP\"", "switchboard-rooms");
  }

  @Test
  void refusesWebSocketsOnTheHealthPort() {
    RawWebSocket raw =
        RawWebSocket.connect(URI.create("ws://127.0.0.1:" + server.healthPort() + "/?roomId=x"));
    assertThat(raw.upgraded()).isFalse();
    assertThat(raw.statusLine()).contains("404");
    raw.close();
  }
}
