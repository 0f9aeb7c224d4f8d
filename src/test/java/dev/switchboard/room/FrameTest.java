package dev.switchboard.room;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameTest {

  private static int realBytes(String s) {
    return s.getBytes(UTF_8).length;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "a",
        "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}",
        "\u007f",
        "\u0080",
        "é",
        "\u07ff",
        "\u0800",
        "€",
        "中文",
        "\uffff",
        "\uD83D\uDE00",
        "\uD800\uDC00",
        "\uDBFF\uDFFF",
        "a😀b€cé",
        "😀😀😀"
      })
  void countsWellFormedTextExactly(String text) {
    assertThat(Frame.utf8Length(text)).isEqualTo(realBytes(text));
    assertThat(Frame.of(text).bytes()).isEqualTo(realBytes(text));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\uD800",
        "a\uD800",
        "\uDC00",
        "a\uDC00b",
        "\uDC00\uD800",
        "\uD800A",
        "\uD800é",
        "\uD800\u4E00",
        "\uD800\uD800\uDC00",
        "😀\uD83D"
      })
  void neverUndercountsMalformedSurrogates(String text) {
    // String.getBytes encodes an unpaired surrogate as '?' (1 byte); a container's encoder may
    // do otherwise, so the count must be an upper bound, never lower than the real bytes.
    assertThat(Frame.utf8Length(text)).isGreaterThanOrEqualTo(realBytes(text));
    assertThat(Frame.utf8Length(text)).isLessThanOrEqualTo(3 * text.length());
  }

  @ParameterizedTest
  @ValueSource(strings = {"abcdefghij", "ééééé", "€€€€", "😀😀", "a€😀é", "", "x"})
  void exceedsAgreesWithTheByteLengthAroundTheLimit(String seed) {
    for (String text : List.of(seed, seed.repeat(30))) {
      assertExceedsMatchesAround(text);
    }
  }

  private static void assertExceedsMatchesAround(String text) {
    int bytes = realBytes(text);
    for (int max = Math.max(0, bytes - 3); max <= bytes + 3; max++) {
      assertThat(Frame.exceeds(text, max)).as("max=%d bytes=%d", max, bytes).isEqualTo(bytes > max);
    }
    assertThat(Frame.exceeds(text, 3 * text.length())).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\uD800", "\uDC00\uDC00", "\uD800A"})
  void exceedsIsConservativeForMalformedText(String text) {
    int real = realBytes(text);
    // Never lets through what really takes more than the limit.
    for (int max = 0; max < real; max++) {
      assertThat(Frame.exceeds(text, max)).as("max=%d", max).isTrue();
    }
  }

  @Test
  void peerDisconnectedIsTheOriginalWireMessage() {
    assertThat(Frame.PEER_DISCONNECTED.text()).isEqualTo("{\"type\":\"peer-disconnected\"}");
    assertThat(Frame.PEER_DISCONNECTED.bytes())
        .isEqualTo(realBytes(Frame.PEER_DISCONNECTED.text()));
    assertThat(Frame.PEER_DISCONNECTED.toString()).doesNotContain("peer-disconnected");
  }
}
