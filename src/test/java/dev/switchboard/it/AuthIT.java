package dev.switchboard.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.security.Tokens;
import java.nio.file.Files;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

  private static final KeyPair RSA = Tokens.rsa();

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

  /** Every way a token can be wrong, each refused at the handshake with its status. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void refusesEachBadToken(String why, Function<String, String> tokenForRoom, int status) {
    String room = SignalingIT.room();
    String token = tokenForRoom.apply(room);
    assertThat(status("/?roomId=" + room + "&token=" + token)).contains(" " + status + " ");
    assertThat(status("/?roomId=" + room, "Authorization: Bearer " + token))
        .contains(" " + status + " ");
  }

  static Stream<Arguments> badTokens() {
    return Stream.of(
        Arguments.of("not yet valid", token(c -> c.setNotBefore(Tokens.inSeconds(600))), 401),
        Arguments.of("wrong issuer", token(c -> c.setIssuer("https://evil.example")), 401),
        Arguments.of("wrong audience", token(c -> c.setAudience("someone-else")), 401),
        Arguments.of(
            "signed with another key",
            (Function<String, String>)
                room ->
                    Tokens.sign(
                        Tokens.claims(List.of(room), c -> {}),
                        new HmacKey("another-secret-that-is-also-32-bytes-long".getBytes(UTF_8)),
                        AlgorithmIdentifiers.HMAC_SHA256,
                        null),
            401),
        Arguments.of(
            "alg none",
            (Function<String, String>)
                room -> Tokens.sign(Tokens.claims(List.of(room), c -> {}), null, "none", null),
            401),
        Arguments.of(
            "no rooms claim",
            (Function<String, String>) room -> Tokens.hs256((List<String>) null),
            403));
  }

  private static Function<String, String> token(Consumer<JwtClaims> edit) {
    return room -> Tokens.hs256(Tokens.claims(List.of(room), edit));
  }

  /**
   * A server verifying RS256 with a PEM public key: a genuine token opens the room, and an HS256
   * token whose HMAC key is that public key (algorithm confusion) is refused.
   */
  @Test
  void withAnRsaKeyRefusesHmacTokensSignedWithThePublicKey() {
    ServerProcess rs =
        ServerProcess.shared(
            "auth-rs",
            Map.of(
                "ENABLE_AUTH", "true",
                "JWT_ALG", "RS256",
                "JWT_PUBLIC_KEY", Tokens.pem(RSA.getPublic())));
    String room = SignalingIT.room();
    String genuine =
        Tokens.sign(
            Tokens.claims(List.of(room), c -> {}),
            RSA.getPrivate(),
            AlgorithmIdentifiers.RSA_USING_SHA256,
            null);
    TestClient client = TestClient.open(rs.ws("/?roomId=" + room + "&token=" + genuine));
    assertThat(client.isOpen()).isTrue();
    String confused =
        Tokens.sign(
            Tokens.claims(List.of(room), c -> {}),
            new HmacKey(Tokens.pem(RSA.getPublic()).getBytes(UTF_8)),
            AlgorithmIdentifiers.HMAC_SHA256,
            null);
    try (RawWebSocket raw =
        RawWebSocket.connect(rs.ws("/?roomId=" + room + "&token=" + confused))) {
      assertThat(raw.statusLine()).contains(" 401 ");
    }
  }

  /** Tokens, good and bad, from each of the three places: none of them reaches the log. */
  @Test
  void neverLogsATokenInAnyOfItsPlaces() throws Exception {
    String room = SignalingIT.room();
    String good = Tokens.hs256(List.of(room));
    String wrongRoom = Tokens.hs256(List.of("elsewhere"));
    String forged = good.substring(0, good.lastIndexOf('.') + 1) + "AAAA";
    TestClient byQuery = TestClient.open(server.ws("/?roomId=" + room + "&token=" + good));
    TestClient byProtocol = TestClient.open(server.room(room), Map.of(), List.of("bearer." + good));
    Pair.awaitSync(byQuery, byProtocol);
    for (String bad : List.of(wrongRoom, forged)) {
      status("/?roomId=" + room + "&token=" + bad);
      status("/?roomId=" + room, "Authorization: Bearer " + bad);
    }
    byQuery.closeBlocking();
    byProtocol.closeBlocking();
    String log = Files.readString(server.log());
    for (String token : List.of(good, wrongRoom, forged)) {
      assertThat(log).doesNotContain(token).doesNotContain(token.substring(token.lastIndexOf('.')));
    }
  }

  @Test
  void refusesAValidTokenForAnotherRoomWith403() {
    String token = Tokens.hs256(List.of("some-other-room"));
    assertThat(status("/?roomId=" + SignalingIT.room() + "&token=" + token)).contains(" 403 ");
    assertThat(status("/ws?roomId=" + SignalingIT.room(), "Authorization: Bearer " + token))
        .contains(" 403 ");
  }
}
