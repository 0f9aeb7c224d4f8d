package dev.switchboard.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.RoomId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionTest {

  private static final Map<String, List<String>> ROOM = Map.of("roomId", List.of("r1"));

  private static SignalingConfig config(Map<String, String> env) {
    return SignalingConfig.from(env::get);
  }

  @Test
  void admitsAValidRoomWithDefaults() {
    assertThat(Admission.decide(config(Map.of()), false, Map.of(), ROOM, "ws"))
        .isEqualTo(new Admission.Admitted(new RoomId("r1"), null));
  }

  @Test
  void carriesTheClientAddressTheHandshakeFilterAttached() {
    Map<String, List<String>> headers =
        Map.of("x-switchboard-client-address", List.of("192.0.2.7"));
    assertThat(Admission.decide(config(Map.of()), false, headers, ROOM, "ws"))
        .isEqualTo(new Admission.Admitted(new RoomId("r1"), "192.0.2.7"));
  }

  @Test
  void refusesEverythingWhileDrainingFirst() {
    assertThat(Admission.decide(config(Map.of()), true, Map.of(), Map.of(), "ws"))
        .isEqualTo(new Admission.Refused(CloseCause.SERVER_DRAINING));
  }

  @Test
  void checksWssBeforeTheRoomIdAndTheRoomIdBeforeTheSubprotocol() {
    SignalingConfig strict = config(Map.of("REQUIRE_WSS", "true", "SUBPROTOCOL", "v1"));
    assertThat(Admission.decide(strict, false, Map.of(), Map.of(), "ws"))
        .isEqualTo(new Admission.Refused(CloseCause.WSS_REQUIRED));
    Map<String, List<String>> tls = Map.of("x-forwarded-proto", List.of("https, http"));
    assertThat(Admission.decide(strict, false, tls, Map.of(), "ws"))
        .isEqualTo(new Admission.Refused(CloseCause.INVALID_ROOM_ID));
    assertThat(Admission.decide(strict, false, tls, ROOM, "ws"))
        .isEqualTo(new Admission.Refused(CloseCause.SUBPROTOCOL_REQUIRED));
  }

  @Test
  void acceptsTlsFromTheSchemeOrTheFirstForwardedProto() {
    SignalingConfig wss = config(Map.of("REQUIRE_WSS", "true"));
    assertThat(Admission.decide(wss, false, Map.of(), ROOM, "wss"))
        .isInstanceOf(Admission.Admitted.class);
    assertThat(
            Admission.decide(
                wss, false, Map.of("X-Forwarded-Proto", List.of("http, https")), ROOM, "ws"))
        .isEqualTo(new Admission.Refused(CloseCause.WSS_REQUIRED));
  }

  @Test
  void findsTheSubprotocolAmongSeveralOfferedInAnyHeaderCase() {
    SignalingConfig v1 = config(Map.of("SUBPROTOCOL", "switchboard.v1"));
    Map<String, List<String>> offered =
        Map.of("sec-websocket-protocol", List.of("chat, switchboard.v1", "other"));
    assertThat(Admission.decide(v1, false, offered, ROOM, "ws"))
        .isInstanceOf(Admission.Admitted.class);
    assertThat(Admission.offeredSubprotocols(offered))
        .containsExactly("chat", "switchboard.v1", "other");
  }
}
