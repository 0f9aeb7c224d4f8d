package dev.switchboard.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageCodecTest {

  private final MessageCodec codec = new MessageCodec();

  private String roundTrip(String json) {
    return codec.encode(codec.decode(json));
  }

  @Test
  void relaysOfferAndAnswerWithTypeFirst() {
    assertThat(roundTrip("{\"type\":\"offer\",\"sdp\":\"v=0\"}"))
        .isEqualTo("{\"type\":\"offer\",\"sdp\":\"v=0\"}");
    assertThat(roundTrip("{\"sdp\":\"v=0\\r\\n\",\"type\":\"answer\"}"))
        .isEqualTo("{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}");
  }

  /** The hand-driven generator writes what JSON-B writes for the records, field for field. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n\"}",
        "{\"type\":\"answer\",\"sdp\":\"quote \\\" backslash \\\\ tab \\t ctl \\u0001 é 😀 \\u2028\"}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":\"\",\"sdpMLineIndex\":2147483647}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":0}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":\"audio\"}",
        "{\"type\":\"control\",\"action\":\"a\",\"payload\":null}",
        "{\"type\":\"control\",\"action\":\"a\",\"payload\":[1,-2.5e-7,1E+300,true,false,null,\"s\"]}",
        "{\"type\":\"control\",\"action\":\"a\",\"payload\":{\"k\":{\"n\":[{}],\"e\":\"\\u0000\"}}}",
        "{\"type\":\"control\",\"action\":\"b\",\"payload\":[12345678901234567890,0.1]}"
      })
  void writesWhatJsonbWrites(String json) {
    SignalMessage message = codec.decode(json);
    String written = codec.encode(message);
    String reference = codec.encodeWithJsonb(message);
    assertThat(parse(written)).isEqualTo(parse(reference));
    assertThat(written).startsWith("{\"type\":");
    assertThat(codec.decode(written)).isEqualTo(message);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 16, 9000, 100_000})
  void writesTheSameWhateverTheSizeHint(int hint) {
    String sdp =
        "v=0\\r\\n" + "a=candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host\\r\\n".repeat(150);
    String json = "{\"type\":\"offer\",\"sdp\":\"" + sdp + "\"}";
    SignalMessage message = codec.decode(json);

    assertThat(codec.encode(message, hint)).isEqualTo(codec.encode(message)).isEqualTo(json);
  }

  @Test
  void anEmptyRequiredStringIsRefused() {
    assertThatThrownBy(() -> codec.decode("{\"type\":\"offer\",\"sdp\":\"\"}"))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessageContaining("sdp must be a non-empty string");
    assertThatThrownBy(() -> codec.decode("{\"type\":\"offer\",\"sdp\":7}"))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessageContaining("sdp must be a non-empty string");
  }

  private static jakarta.json.JsonValue parse(String json) {
    try (var reader = jakarta.json.Json.createReader(new java.io.StringReader(json))) {
      return reader.readValue();
    }
  }

  @Test
  void stripsUnknownFields() {
    assertThat(roundTrip("{\"type\":\"offer\",\"sdp\":\"x\",\"senderId\":\"me\",\"extra\":{}}"))
        .isEqualTo("{\"type\":\"offer\",\"sdp\":\"x\"}");
  }

  @Test
  void keepsOptionalCandidateFieldsOnlyWhenPresent() {
    assertThat(
            roundTrip(
                "{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 5000 typ"
                    + " host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"))
        .contains("\"sdpMid\":\"0\"", "\"sdpMLineIndex\":0", "\"type\":\"candidate\"");
    assertThat(roundTrip("{\"type\":\"candidate\",\"candidate\":\"c\"}"))
        .isEqualTo("{\"type\":\"candidate\",\"candidate\":\"c\"}");
  }

  @Test
  void relaysControlPayloadOfAnyShape() {
    assertThat(
            roundTrip("{\"type\":\"control\",\"action\":\"input\",\"payload\":[1,{\"a\":null}]}"))
        .isEqualTo("{\"type\":\"control\",\"action\":\"input\",\"payload\":[1,{\"a\":null}]}");
    assertThat(roundTrip("{\"type\":\"control\",\"action\":\"ping\"}"))
        .isEqualTo("{\"type\":\"control\",\"action\":\"ping\"}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "null",
        "42",
        "\"offer\"",
        "{}",
        "{\"type\":\"bogus\"}",
        "{\"type\":7,\"sdp\":\"x\"}",
        "{\"type\":\"offer\"}",
        "{\"type\":\"offer\",\"sdp\":\"\"}",
        "{\"type\":\"offer\",\"sdp\":123}",
        "{\"type\":\"offer\",\"sdp\":null}",
        "{\"type\":\"answer\",\"sdp\":[\"x\"]}",
        "{\"type\":\"candidate\"}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":null}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":1}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":1.5}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":\"1\"}",
        "{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":99999999999}",
        "{\"type\":\"control\"}",
        "{\"type\":\"control\",\"action\":false}"
      })
  void rejectsJsonThatBreaksTheSchema(String json) {
    assertThatThrownBy(() -> codec.decode(json))
        .isInstanceOfSatisfying(
            InvalidMessageException.class,
            e -> assertThat(e.kind()).isEqualTo(InvalidMessageException.Kind.SCHEMA_ERROR));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "hello", "{", "{\"type\":\"offer\",", "{'type':'offer'}", "[1,]"})
  void rejectsTextThatIsNotJson(String text) {
    assertThatThrownBy(() -> codec.decode(text))
        .isInstanceOfSatisfying(
            InvalidMessageException.class,
            e -> assertThat(e.kind()).isEqualTo(InvalidMessageException.Kind.INVALID_JSON));
  }

  @Test
  void rejectsTrailingGarbageAfterAValidMessage() {
    assertThatThrownBy(() -> codec.decode("{\"type\":\"offer\",\"sdp\":\"x\"} trailing"))
        .isInstanceOf(InvalidMessageException.class);
  }

  @Test
  void rejectsDeeplyNestedPayloadWithoutFailing() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    assertThatThrownBy(
            () -> codec.decode("{\"type\":\"control\",\"action\":\"x\",\"payload\":" + deep + "}"))
        .isInstanceOf(InvalidMessageException.class);
  }

  @Test
  void rejectionNamesTheProblemWithoutEchoingContent() {
    InvalidMessageException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            InvalidMessageException.class,
            () -> codec.decode("{\"type\":\"offer\",\"sdp\":42,\"secret\":\"s3cr3t\"}"));
    assertThat(codec.rejection(e))
        .isEqualTo(
            "{\"type\":\"control\",\"action\":\"schema-error\",\"payload\":{\"error\":\"sdp must"
                + " be a non-empty string\"}}");
  }
}
