package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A server with every handshake rule switched on and small limits: origins, a required subprotocol,
 * WSS behind a proxy, a short heartbeat, a small message limit and backlog, and rooms of three.
 */
class RestrictedServerIT {

  private static final String ORIGIN = "https://play.example.com";
  private static final String PROTOCOL = "switchboard.v1";
  private static final int MAX_BYTES = 4096;
  private static final long HEARTBEAT_MS = 500;

  private static final Map<String, String> ENV =
      Map.of(
          "ALLOWED_ORIGINS",
          ORIGIN + ",https://other.example.com",
          "SUBPROTOCOL",
          PROTOCOL,
          "REQUIRE_WSS",
          "true",
          "HEARTBEAT_INTERVAL_MS",
          String.valueOf(HEARTBEAT_MS),
          "MESSAGE_MAX_BYTES",
          String.valueOf(MAX_BYTES),
          "BACKPRESSURE_CLOSE_THRESHOLD_BYTES",
          "65536",
          "ROOM_CAPACITY",
          "3");

  private static final Map<String, String> PROXIED_TLS = Map.of("X-Forwarded-Proto", "https");

  private final ServerProcess server = ServerProcess.shared("restricted", ENV);

  private TestClient member(String room) {
    return TestClient.open(server.room(room), PROXIED_TLS, List.of(PROTOCOL));
  }

  private RawWebSocket rawMember(String room) {
    RawWebSocket raw =
        RawWebSocket.connect(
            server.room(room), "X-Forwarded-Proto: https", "Sec-WebSocket-Protocol: " + PROTOCOL);
    assertThat(raw.upgraded()).isTrue();
    return raw;
  }

  @Test
  void refusesAnOriginThatIsNotListedAtTheHandshake() {
    try (RawWebSocket raw =
        RawWebSocket.connect(
            server.room(SignalingIT.room()),
            "Origin: https://evil.example.com",
            "X-Forwarded-Proto: https",
            "Sec-WebSocket-Protocol: " + PROTOCOL)) {
      assertThat(raw.upgraded()).isFalse();
      assertThat(raw.statusLine()).contains("403");
    }
  }

  @Test
  void acceptsListedOriginsAndClientsThatSendNoOrigin() {
    String room = SignalingIT.room();
    TestClient browser =
        TestClient.open(
            server.room(room),
            Map.of("X-Forwarded-Proto", "https", "Origin", "https://other.example.com"),
            List.of(PROTOCOL));
    TestClient host = member(room); // a native host sends no Origin
    Pair.awaitSync(browser, host);
    host.send("{\"type\":\"answer\",\"sdp\":\"a\"}");
    assertThat(browser.next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"a\"}");
  }

  @Test
  void negotiatesExactlyTheConfiguredSubprotocol() {
    TestClient client =
        TestClient.open(
            server.room(SignalingIT.room()), PROXIED_TLS, List.of("chat", PROTOCOL, "v2"));
    assertThat(client.negotiatedSubprotocol()).isEqualTo(PROTOCOL);
  }

  @Test
  void closesWith1008WhenTheSubprotocolIsNotOffered() {
    try (RawWebSocket raw =
        RawWebSocket.connect(
            server.room(SignalingIT.room()),
            "X-Forwarded-Proto: https",
            "Sec-WebSocket-Protocol: chat")) {
      assertThat(raw.upgraded()).isTrue();
      RawWebSocket.Frame close = raw.readUntil(RawWebSocket.CLOSE);
      assertThat(close.closeCode()).isEqualTo(1008);
      assertThat(close.closeReason()).isEqualTo("Subprotocol required");
    }
    TestClient none = TestClient.attempt(server.room(SignalingIT.room()), PROXIED_TLS, List.of());
    assertThat(none.awaitClose())
        .isEqualTo(new TestClient.Closed(1008, "Subprotocol required", true));
  }

  @Test
  void closesWith1008UnlessTheProxySaysTheClientUsedTls() {
    for (Map<String, String> headers :
        List.of(Map.<String, String>of(), Map.of("X-Forwarded-Proto", "http"))) {
      TestClient plain =
          TestClient.attempt(server.room(SignalingIT.room()), headers, List.of(PROTOCOL));
      assertThat(plain.awaitClose()).isEqualTo(new TestClient.Closed(1008, "WSS required", true));
    }
    assertThat(member(SignalingIT.room()).isOpen()).isTrue();
  }

  @Test
  void enforcesTheConfiguredMessageLimit() {
    String room = SignalingIT.room();
    TestClient a = member(room);
    TestClient b = member(room);
    Pair.awaitSync(a, b);
    String fits = "{\"type\":\"offer\",\"sdp\":\"" + "x".repeat(MAX_BYTES - 30) + "\"}";
    a.send(fits);
    assertThat(b.next()).isEqualTo(fits);
    a.send("{\"type\":\"offer\",\"sdp\":\"" + "é".repeat(MAX_BYTES / 2) + "\"}");
    assertThat(a.awaitClose().code()).isEqualTo(1009);
    assertThat(b.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
  }

  @Test
  void admitsThreeMembersAndRefusesTheFourth() {
    String room = SignalingIT.room();
    TestClient a = member(room);
    TestClient b = member(room);
    TestClient c = member(room);
    Pair.awaitSync(a, b);
    Pair.awaitSync(a, c);
    TestClient d = TestClient.attempt(server.room(room), PROXIED_TLS, List.of(PROTOCOL));
    assertThat(d.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    c.send("{\"type\":\"control\",\"action\":\"hi\"}");
    assertThat(a.next()).isEqualTo("{\"type\":\"control\",\"action\":\"hi\"}");
    assertThat(b.next()).isEqualTo("{\"type\":\"control\",\"action\":\"hi\"}");
  }

  @Test
  void dropsAPeerThatStopsAnsweringPingsAndKeepsOnesThatDo() {
    String room = SignalingIT.room();
    TestClient alive = member(room);
    try (RawWebSocket silent = rawMember(room)) {
      // Until both are in the room the raw client answers for itself with unsolicited pongs: on a
      // loaded machine the sync can outlast a heartbeat round (500 ms), and the peer would be
      // dropped before the test starts. From then on it is silent.
      Pair.awaitSyncFromRaw(alive, silent, true);
      long start = System.nanoTime();
      assertThat(alive.next(Duration.ofMillis(HEARTBEAT_MS * 6)))
          .isEqualTo("{\"type\":\"peer-disconnected\"}");
      long droppedAfterMs = (System.nanoTime() - start) / 1_000_000;
      RawWebSocket.Frame close = silent.readUntil(RawWebSocket.CLOSE);
      assertThat(close).isNotNull();
      assertThat(close.closeCode()).isEqualTo(1001);
      System.out.printf(
          "[it] heartbeat: silent peer dropped %d ms after joining (interval %d ms)%n",
          droppedAfterMs, HEARTBEAT_MS);
    }
    // The client that answers pings outlives several more heartbeat rounds.
    await()
        .during(Duration.ofMillis(HEARTBEAT_MS * 4))
        .atMost(Duration.ofMillis(HEARTBEAT_MS * 6))
        .until(alive::isOpen);
  }
}
