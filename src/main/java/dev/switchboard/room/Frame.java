package dev.switchboard.room;

/** One outbound text frame and its UTF-8 size, computed once however many members receive it. */
public record Frame(String text, int bytes) {

  public static final Frame PEER_DISCONNECTED = of("{\"type\":\"peer-disconnected\"}");

  public static Frame of(String text) {
    return new Frame(text, utf8Length(text));
  }

  /** Whether {@code text} takes more than {@code maxBytes} in UTF-8, counting only when needed. */
  public static boolean exceeds(String text, int maxBytes) {
    if (text.length() > maxBytes) {
      return true;
    }
    return (long) text.length() * 3 > maxBytes && utf8Length(text) > maxBytes;
  }

  static int utf8Length(String s) {
    int n = s.length();
    int bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          bytes += 1;
        } else if (Character.isHighSurrogate(c) && i + 1 < n) {
          bytes += 2; // four bytes for the pair of two chars
          i++;
        } else {
          bytes += 2;
        }
      }
    }
    return bytes;
  }

  @Override
  public String toString() {
    return "Frame[" + bytes + " bytes]"; // never the text: it may hold SDP
  }
}
