package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.security.Tokens;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code ENABLE_AUTH=true}: a token from the query, the Authorization header or the
 * Sec-WebSocket-Protocol header opens the room it grants; anything else is refused at the handshake
 * with 401, or 403 for a valid token for another room.
 */
class AuthIT {

  private static final Map<String, String> ENV =
      Map.of(
          "ENABLE_AUTH", "true",
          "JWT_SECRET", Tokens.SECRET,
          "JWT_ISSUER", Tokens.ISSUER,
          "JWT_AUDIENCE", Tokens.AUDIENCE);

  private final ServerProcess server = ServerProcess.shared("auth", ENV);

  private String status(String pathAndQuery, String... headers) {
    try (RawWebSocket raw = RawWebSocket.connect(server.ws(pathAndQuery), headers)) {
      return raw.statusLine();
    }
  }

  @Test
  void opensTheRoomWithATokenInTheQueryTheHeaderOrTheSubprotocol() {
    String room = SignalingIT.room();
    String token = Tokens.hs256(List.of(room));
    TestClient byQuery = TestClient.open(server.ws("/?roomId=" + room + "&token=" + token));
    TestClient byHeader =
        TestClient.open(server.room(room), Map.of("Authorization", "Bearer " + token), List.of());
    Pair.awaitSync(byQuery, byHeader);
    byHeader.send("{\"type\":\"offer\",\"sdp\":\"authenticated\"}");
    assertThat(byQuery.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"authenticated\"}");

    String other = SignalingIT.room();
    TestClient byProtocol =
        TestClient.open(
            server.room(other), Map.of(), List.of("bearer." + Tokens.hs256(List.of(other))));
    assertThat(byProtocol.isOpen()).isTrue();
    assertThat(byProtocol.negotiatedSubprotocol()).startsWith("bearer.");
  }

  @Test
  void refusesAMissingOrInvalidTokenWith401() {
    String room = SignalingIT.room();
    assertThat(status("/?roomId=" + room)).contains(" 401 ");
    assertThat(status("/?roomId=" + room + "&token=garbage")).contains(" 401 ");
    String expired =
        Tokens.hs256(
            Tokens.claims(
                List.of(room),
                c -> {
                  c.setIssuedAt(Tokens.inSeconds(-3600));
                  c.setExpirationTime(Tokens.inSeconds(-600));
                }));
    assertThat(status("/?roomId=" + room, "Authorization: Bearer " + expired)).contains(" 401 ");
  }

  @Test
  void refusesAValidTokenForAnotherRoomWith403() {
    String token = Tokens.hs256(List.of("some-other-room"));
    assertThat(status("/?roomId=" + SignalingIT.room() + "&token=" + token)).contains(" 403 ");
    assertThat(status("/ws?roomId=" + SignalingIT.room(), "Authorization: Bearer " + token))
        .contains(" 403 ");
  }
}
