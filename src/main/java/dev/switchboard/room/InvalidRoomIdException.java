package dev.switchboard.room;

/**
 * A missing or malformed {@code roomId}; closes the connection with 1008 {@code Invalid roomId}.
 */
public final class InvalidRoomIdException extends RuntimeException {

  public InvalidRoomIdException() {
    super(CloseCause.INVALID_ROOM_ID.reason(), null, false, false);
  }
}
