package dev.switchboard.relay;

import dev.switchboard.security.RateLimits;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads and writes v1 messages with JSON-B. Incoming text is bound to a JSON value and checked
 * against the schema field by field: binding straight to the records would let JSON-B coerce types
 * (a number into {@code sdp}) and could not tell an absent field from an explicit null, which the
 * schema treats differently. Outgoing messages are the records, so unknown fields never reach other
 * members.
 */
@ApplicationScoped
public class MessageCodec {

  private final Jsonb jsonb = JsonbBuilder.create();

  /**
   * Made once: {@code Json.createParser} and {@code Json.createObjectBuilder} look the JSON-P
   * provider up through the service loader on every call, a class-path scan per message.
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  private static final JsonParserFactory PARSERS = JSON.createParserFactory(Map.of());

  private static final JsonGeneratorFactory GENERATORS = JSON.createGeneratorFactory(Map.of());

  /**
   * This object itself, past CDI's client proxy: see {@link
   * dev.switchboard.room.RoomRegistry#unproxied}.
   */
  public Supplier<MessageCodec> unproxied() {
    return () -> this;
  }

  /** Parses and validates one client message; throws {@link InvalidMessageException}. */
  public SignalMessage decode(String text) {
    JsonValue value = parse(text);
    if (!(value instanceof JsonObject object)) {
      throw InvalidMessageException.schema("message must be a JSON object");
    }
    String type = requiredString(object, "type");
    return switch (type) {
      case "offer" -> new SignalMessage.Offer(requiredString(object, "sdp"));
      case "answer" -> new SignalMessage.Answer(requiredString(object, "sdp"));
      case "candidate" ->
          new SignalMessage.Candidate(
              requiredString(object, "candidate"),
              optionalString(object, "sdpMid"),
              optionalIndex(object, "sdpMLineIndex"));
      case "control" ->
          new SignalMessage.Control(
              requiredString(object, "action"),
              object.containsKey("payload") ? object.get("payload") : null);
      default ->
          throw InvalidMessageException.schema(
              "type must be one of offer, answer, candidate, control");
    };
  }

  /**
   * Writes {@code message} with the JSON-P generator under JSON-B, fields in declaration order
   * after {@code type}, absent optional fields left out: the same JSON that JSON-B writes for the
   * records (the unit tests compare the two). Why not {@code jsonb.toJson}: on the relay path it
   * was 8 % of the server's CPU in a JFR profile (reflective property lookup and its recursion
   * check per message); the generator does the same escaping without them.
   */
  public String encode(SignalMessage message) {
    return encode(message, 64);
  }

  /**
   * As {@link #encode(SignalMessage)}, with room for {@code sizeHint} characters from the start:
   * the length of the text the message was read from, so that a large offer is not copied into ever
   * larger buffers while it is written (an SDP of 8 KiB went through eight of them).
   */
  public String encode(SignalMessage message, int sizeHint) {
    StringWriter out = new StringWriter(Math.max(16, sizeHint));
    try (JsonGenerator g = GENERATORS.createGenerator(out)) {
      g.writeStartObject();
      if (message instanceof SignalMessage.Offer offer) {
        g.write("type", "offer").write("sdp", offer.sdp());
      } else if (message instanceof SignalMessage.Answer answer) {
        g.write("type", "answer").write("sdp", answer.sdp());
      } else if (message instanceof SignalMessage.Candidate c) {
        g.write("type", "candidate").write("candidate", c.candidate());
        if (c.sdpMid() != null) {
          g.write("sdpMid", c.sdpMid());
        }
        if (c.sdpMLineIndex() != null) {
          g.write("sdpMLineIndex", c.sdpMLineIndex());
        }
      } else {
        SignalMessage.Control control = (SignalMessage.Control) message;
        g.write("type", "control").write("action", control.action());
        if (control.payload() != null) {
          g.write("payload", control.payload());
        }
      }
      g.writeEnd();
    }
    return out.toString();
  }

  /** The same message through JSON-B: the reference {@link #encode} is tested against. */
  String encodeWithJsonb(SignalMessage message) {
    return jsonb.toJson(message);
  }

  /** The control message that tells a sender why its message was not relayed. */
  /** {@code {"type":"control","action":"rate-limited","payload":{"limit":..,"retryAfterMs":..}}} */
  public String rateLimited(RateLimits.Refusal refused) {
    JsonObject payload =
        JSON.createObjectBuilder()
            .add("limit", refused.limit().label())
            .add("retryAfterMs", refused.retryAfterMs())
            .build();
    return encode(new SignalMessage.Control("rate-limited", payload));
  }

  public String rejection(InvalidMessageException e) {
    JsonObject payload = JSON.createObjectBuilder().add("error", e.getMessage()).build();
    return encode(new SignalMessage.Control(e.kind().action(), payload));
  }

  @PreDestroy
  void close() {
    try {
      jsonb.close();
    } catch (Exception e) {
      throw new IllegalStateException("Cannot close JSON-B", e);
    }
  }

  /**
   * Reads exactly one JSON value with the JSON-P parser under JSON-B (JSON-B itself would accept
   * trailing text after the value).
   */
  private static JsonValue parse(String text) {
    try (JsonParser parser = PARSERS.createParser(new StringReader(text))) {
      if (!parser.hasNext()) {
        throw InvalidMessageException.notJson("message is empty");
      }
      parser.next();
      JsonValue value = parser.getValue();
      if (parser.hasNext()) {
        throw InvalidMessageException.notJson("message has text after the JSON value");
      }
      return value;
    } catch (InvalidMessageException e) {
      throw e;
    } catch (JsonException e) {
      throw InvalidMessageException.notJson("message is not valid JSON" + position(e));
    } catch (RuntimeException | StackOverflowError e) {
      // The parser reports nesting past its depth limit as a bare RuntimeException; either way it
      // is hostile input, not a server fault.
      throw InvalidMessageException.notJson("message is not valid JSON (nested too deeply)");
    }
  }

  private static String position(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof JsonParsingException parsing && parsing.getLocation() != null) {
        return " (at offset " + parsing.getLocation().getStreamOffset() + ")";
      }
    }
    return "";
  }

  private static String requiredString(JsonObject object, String field) {
    JsonValue value = object.get(field);
    // getString() copies the parsed characters into a new String on every call: call it once.
    String text = value instanceof JsonString string ? string.getString() : "";
    if (text.isEmpty()) {
      throw InvalidMessageException.schema(field + " must be a non-empty string");
    }
    return text;
  }

  private static String optionalString(JsonObject object, String field) {
    if (!object.containsKey(field)) {
      return null;
    }
    if (!(object.get(field) instanceof JsonString string)) {
      throw InvalidMessageException.schema(field + " must be a string when present");
    }
    return string.getString();
  }

  private static Integer optionalIndex(JsonObject object, String field) {
    if (!object.containsKey(field)) {
      return null;
    }
    if (!(object.get(field) instanceof JsonNumber number)
        || !number.isIntegral()
        || number.bigDecimalValue().signum() < 0
        || number.bigDecimalValue().compareTo(java.math.BigDecimal.valueOf(Integer.MAX_VALUE))
            > 0) {
      throw InvalidMessageException.schema(field + " must be an integer >= 0 when present");
    }
    return number.intValue();
  }
}
