package dev.switchboard.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class RoomIdTest {

  private static final int MAX = 64;

  @Test
  void acceptsEveryAllowedCharacter() {
    String all = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:.";
    assertThat(RoomId.parse(all, all.length()).value()).isEqualTo(all);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "my-room", "game:42", "lobby_1.eu", "-", ".", ":", "_"})
  void acceptsTypicalIds(String raw) {
    assertThat(RoomId.parse(raw, MAX).value()).isEqualTo(raw);
  }

  @Test
  void acceptsAnIdOfExactlyTheMaximumLength() {
    String raw = "r".repeat(MAX);
    assertThat(RoomId.parse(raw, MAX).value()).isEqualTo(raw);
  }

  @Test
  void rejectsAnIdOneCharacterTooLong() {
    assertThatThrownBy(() -> RoomId.parse("r".repeat(MAX + 1), MAX))
        .isInstanceOf(InvalidRoomIdException.class);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        " ",
        "my room",
        " room",
        "room ",
        "room\n",
        "a/b",
        "../etc",
        "a;b",
        "café",
        "комната",
        "\uD83D\uDE00",
        "a?b",
        "a&b",
        "a%20b",
        "a\u0000b"
      })
  void rejectsMalformedIds(String raw) {
    assertThatThrownBy(() -> RoomId.parse(raw, MAX)).isInstanceOf(InvalidRoomIdException.class);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"a b", "a/b", "a;b", "é"})
  void constructorAppliesTheSameCharacterRules(String raw) {
    assertThatThrownBy(() -> new RoomId(raw)).isInstanceOf(InvalidRoomIdException.class);
  }

  @Test
  void invalidIdCarriesTheCloseReason() {
    assertThatThrownBy(() -> RoomId.parse("a b", MAX))
        .hasMessage(CloseCause.INVALID_ROOM_ID.reason());
  }
}
