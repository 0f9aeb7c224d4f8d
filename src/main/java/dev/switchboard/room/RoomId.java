package dev.switchboard.room;

import java.util.regex.Pattern;

/** A room's name as clients give it in {@code ?roomId=}: 1..max characters of [A-Za-z0-9_-:.]. */
public record RoomId(String value) {

  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9_\\-:.]+");

  public RoomId {
    if (value == null || !ALLOWED.matcher(value).matches()) {
      throw new InvalidRoomIdException();
    }
  }

  /**
   * Parses a client-supplied id; throws {@link InvalidRoomIdException} when it breaks the rules.
   */
  public static RoomId parse(String raw, int maxLength) {
    if (raw == null || raw.isEmpty() || raw.length() > maxLength) {
      throw new InvalidRoomIdException();
    }
    return new RoomId(raw);
  }

  @Override
  public String toString() {
    return value;
  }
}
