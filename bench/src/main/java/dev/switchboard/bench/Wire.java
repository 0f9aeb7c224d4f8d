package dev.switchboard.bench;

/**
 * The few protocol messages the harness sends and the tolerant parsing of what comes back. The
 * server re-serialises relayed messages, so parsing does not depend on field order or spacing.
 */
public final class Wire {

  /** Bench message: {@code {"type":"control","action":"b","payload":[seq,sendNanos]}}. */
  public static final String BENCH = "b";

  /** Room sync, sent by member 2 until member 1 answers. */
  public static final String SYNC = "sync";

  public static final String SYNC_ACK = "sync-ack";
  public static final String RATE_LIMITED = "rate-limited";

  public enum Kind {
    BENCH,
    SYNC,
    SYNC_ACK,
    PEER_DISCONNECTED,
    RATE_LIMITED,
    SERVER_ERROR,
    OTHER
  }

  /** Result of {@link #parse}; {@code seq} and {@code sendNanos} are set for BENCH only. */
  public record Parsed(Kind kind, String action, long seq, long sendNanos) {}

  private Wire() {}

  public static String bench(long seq, long sendNanos, String padding) {
    StringBuilder sb = new StringBuilder(64 + padding.length());
    sb.append("{\"type\":\"control\",\"action\":\"b\",\"payload\":[")
        .append(seq)
        .append(',')
        .append(sendNanos);
    if (!padding.isEmpty()) {
      sb.append(",\"").append(padding).append('"');
    }
    return sb.append("]}").toString();
  }

  public static String sync() {
    return "{\"type\":\"control\",\"action\":\"sync\"}";
  }

  public static String syncAck() {
    return "{\"type\":\"control\",\"action\":\"sync-ack\"}";
  }

  /** Padding so that a bench message is about {@code payloadBytes} long (0 = none). */
  public static String padding(int payloadBytes) {
    int base = bench(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, "").length() + 3;
    return payloadBytes <= base ? "" : "x".repeat(payloadBytes - base);
  }

  public static Parsed parse(String text) {
    String type = stringField(text, "type");
    if ("peer-disconnected".equals(type)) {
      return new Parsed(Kind.PEER_DISCONNECTED, null, -1, 0);
    }
    if (!"control".equals(type)) {
      return new Parsed(Kind.OTHER, type, -1, 0);
    }
    String action = stringField(text, "action");
    if (action == null) {
      return new Parsed(Kind.OTHER, null, -1, 0);
    }
    switch (action) {
      case BENCH:
        {
          int p = valueStart(text, "payload");
          if (p < 0 || text.charAt(p) != '[') {
            return new Parsed(Kind.OTHER, action, -1, 0);
          }
          long[] out = new long[2];
          int i = p + 1;
          for (int k = 0; k < 2; k++) {
            i = skipWs(text, i);
            int start = i;
            if (i < text.length() && text.charAt(i) == '-') {
              i++;
            }
            while (i < text.length() && Character.isDigit(text.charAt(i))) {
              i++;
            }
            if (start == i) {
              return new Parsed(Kind.OTHER, action, -1, 0);
            }
            out[k] = Long.parseLong(text, start, i, 10);
            i = skipWs(text, i);
            if (k == 0) {
              if (i >= text.length() || text.charAt(i) != ',') {
                return new Parsed(Kind.OTHER, action, -1, 0);
              }
              i++;
            }
          }
          return new Parsed(Kind.BENCH, action, out[0], out[1]);
        }
      case SYNC:
        return new Parsed(Kind.SYNC, action, -1, 0);
      case SYNC_ACK:
        return new Parsed(Kind.SYNC_ACK, action, -1, 0);
      case RATE_LIMITED:
        return new Parsed(Kind.RATE_LIMITED, action, -1, 0);
      case "schema-error":
      case "invalid-json":
        return new Parsed(Kind.SERVER_ERROR, action, -1, 0);
      default:
        return new Parsed(Kind.OTHER, action, -1, 0);
    }
  }

  /** Index of the first character of the value of top-level-ish key {@code name}, or -1. */
  private static int valueStart(String text, String name) {
    String key = "\"" + name + "\"";
    int from = 0;
    while (true) {
      int k = text.indexOf(key, from);
      if (k < 0) {
        return -1;
      }
      int i = skipWs(text, k + key.length());
      if (i < text.length() && text.charAt(i) == ':') {
        return skipWs(text, i + 1);
      }
      from = k + 1;
    }
  }

  private static String stringField(String text, String name) {
    int i = valueStart(text, name);
    if (i < 0 || i >= text.length() || text.charAt(i) != '"') {
      return null;
    }
    int end = text.indexOf('"', i + 1);
    return end < 0 ? null : text.substring(i + 1, end);
  }

  private static int skipWs(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }
}
