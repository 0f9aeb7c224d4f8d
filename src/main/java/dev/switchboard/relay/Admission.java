package dev.switchboard.relay;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.InvalidRoomIdException;
import dev.switchboard.room.RoomId;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The handshake's verdict on one connection, decided in the configurator and acted on when the
 * socket opens: refused connections are closed with the original server's code and reason, which
 * its clients show, rather than failing the upgrade with an HTTP status a browser hides.
 */
sealed interface Admission {

  /** Key under which the verdict travels from the handshake to the session's user properties. */
  String USER_PROPERTY = "switchboard.admission";

  /** {@code clientAddress} is null where the handshake filter did not run (never on Payara). */
  record Admitted(RoomId roomId, String clientAddress) implements Admission {}

  record Refused(CloseCause cause) implements Admission {}

  /**
   * Checks a handshake in the original server's order: draining, WSS, then the room id, then the
   * subprotocol. (The origin was already checked by {@code checkOrigin}.)
   */
  static Admission decide(
      SignalingConfig config,
      boolean draining,
      Map<String, List<String>> headers,
      Map<String, List<String>> parameters,
      String requestScheme) {
    if (draining) {
      return new Refused(CloseCause.SERVER_DRAINING);
    }
    if (config.requireWss() && !isSecure(headers, requestScheme)) {
      return new Refused(CloseCause.WSS_REQUIRED);
    }
    RoomId roomId;
    try {
      roomId = RoomId.parse(first(parameters, "roomId"), config.roomIdMaxLength());
    } catch (InvalidRoomIdException e) {
      return new Refused(CloseCause.INVALID_ROOM_ID);
    }
    if (config.subprotocol().isPresent()
        && !offeredSubprotocols(headers).contains(config.subprotocol().get())) {
      return new Refused(CloseCause.SUBPROTOCOL_REQUIRED);
    }
    List<String> client = header(headers, ClientAddress.HEADER);
    return new Admitted(roomId, client.isEmpty() ? null : client.get(0));
  }

  /** The subprotocols a client offered, from every {@code Sec-WebSocket-Protocol} header. */
  static List<String> offeredSubprotocols(Map<String, List<String>> headers) {
    return header(headers, "Sec-WebSocket-Protocol").stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private static boolean isSecure(Map<String, List<String>> headers, String requestScheme) {
    if ("wss".equalsIgnoreCase(requestScheme) || "https".equalsIgnoreCase(requestScheme)) {
      return true;
    }
    // Behind a proxy chain the first X-Forwarded-Proto is the client's own connection.
    return header(headers, "X-Forwarded-Proto").stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .findFirst()
        .map(proto -> proto.trim().toLowerCase(Locale.ROOT).equals("https"))
        .orElse(false);
  }

  private static String first(Map<String, List<String>> parameters, String name) {
    List<String> values = parameters.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** Header names are case-insensitive, and containers differ in how they key the map. */
  static List<String> header(Map<String, List<String>> headers, String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
        return e.getValue() == null ? List.of() : e.getValue();
      }
    }
    return List.of();
  }
}
