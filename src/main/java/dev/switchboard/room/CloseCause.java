package dev.switchboard.room;

/**
 * Every reason the server closes a connection, with the close code and reason text the original
 * server's clients know. The one place where causes map to codes.
 */
public enum CloseCause {
  ROOM_FULL(1000, "Room is full"),
  HEARTBEAT_TIMEOUT(1001, "Heartbeat timeout"),
  INVALID_ROOM_ID(1008, "Invalid roomId"),
  WSS_REQUIRED(1008, "WSS required"),
  ORIGIN_NOT_ALLOWED(1008, "Origin not allowed"),
  SUBPROTOCOL_REQUIRED(1008, "Subprotocol required"),
  MESSAGE_TOO_BIG(1009, ""),
  INTERNAL_ERROR(1011, "Internal error"),
  SERVER_DRAINING(1012, "Server draining"),
  SERVER_OVERLOADED(1013, "Server overloaded"),
  SERVICE_UNAVAILABLE(1013, "Service unavailable");

  private final int code;
  private final String reason;

  CloseCause(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }
}
