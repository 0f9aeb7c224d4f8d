package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WireTest {

  @Test
  void benchMessageRoundTripsSeqAndSendTime() {
    Wire.Parsed p = Wire.parse(Wire.bench(17, 123_456_789_012L, ""));

    assertThat(p.kind()).isEqualTo(Wire.Kind.BENCH);
    assertThat(p.seq()).isEqualTo(17);
    assertThat(p.sendNanos()).isEqualTo(123_456_789_012L);
  }

  @Test
  void benchMessageReserialisedWithOtherOrderAndSpacingStillParses() {
    Wire.Parsed p =
        Wire.parse("{ \"payload\" : [ 3 , -99 ], \"action\": \"b\", \"type\": \"control\" }");

    assertThat(p.kind()).isEqualTo(Wire.Kind.BENCH);
    assertThat(p.seq()).isEqualTo(3);
    assertThat(p.sendNanos()).isEqualTo(-99);
  }

  @Test
  void paddedBenchMessageHasAboutTheRequestedSizeAndParses() {
    String msg = Wire.bench(1, 2, Wire.padding(1000));

    assertThat(msg.length()).isBetween(950, 1050);
    assertThat(Wire.parse(msg).seq()).isEqualTo(1);
  }

  @Test
  void recognisesServerMessages() {
    assertThat(Wire.parse("{\"type\":\"peer-disconnected\"}").kind())
        .isEqualTo(Wire.Kind.PEER_DISCONNECTED);
    assertThat(Wire.parse("{\"type\":\"control\",\"action\":\"rate-limited\"}").kind())
        .isEqualTo(Wire.Kind.RATE_LIMITED);
    assertThat(
            Wire.parse(
                    "{\"type\":\"control\",\"action\":\"schema-error\",\"payload\":{\"error\":\"x\"}}")
                .kind())
        .isEqualTo(Wire.Kind.SERVER_ERROR);
    assertThat(Wire.parse(Wire.sync()).kind()).isEqualTo(Wire.Kind.SYNC);
    assertThat(Wire.parse(Wire.syncAck()).kind()).isEqualTo(Wire.Kind.SYNC_ACK);
    assertThat(Wire.parse("{\"type\":\"offer\",\"sdp\":\"v=0\"}").kind())
        .isEqualTo(Wire.Kind.OTHER);
  }

  @Test
  void malformedBenchPayloadIsNotCountedAsBench() {
    assertThat(Wire.parse("{\"type\":\"control\",\"action\":\"b\",\"payload\":[\"x\"]}").kind())
        .isEqualTo(Wire.Kind.OTHER);
    assertThat(Wire.parse("{\"type\":\"control\",\"action\":\"b\"}").kind())
        .isEqualTo(Wire.Kind.OTHER);
  }
}
