package dev.switchboard.relay;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;

/**
 * The four v1 messages a client may send. Serialized with JSON-B, which writes the {@code type}
 * discriminator; the relayed copy carries exactly these fields.
 */
@JsonbTypeInfo(
    key = "type",
    value = {
      @JsonbSubtype(alias = "offer", type = SignalMessage.Offer.class),
      @JsonbSubtype(alias = "answer", type = SignalMessage.Answer.class),
      @JsonbSubtype(alias = "candidate", type = SignalMessage.Candidate.class),
      @JsonbSubtype(alias = "control", type = SignalMessage.Control.class)
    })
public sealed interface SignalMessage {

  record Offer(String sdp) implements SignalMessage {}

  record Answer(String sdp) implements SignalMessage {}

  /** An ICE candidate; {@code sdpMid} and {@code sdpMLineIndex} are optional (null: absent). */
  record Candidate(String candidate, String sdpMid, Integer sdpMLineIndex)
      implements SignalMessage {}

  /** An application-level message; {@code payload} is any JSON, or null when absent. */
  record Control(String action, JsonValue payload) implements SignalMessage {}
}
