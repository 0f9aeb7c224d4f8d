package dev.switchboard.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written on a bare socket, for what well-behaved clients never do: frames with
 * invalid UTF-8, pings left unanswered, a reader that stops reading. Frames are read only when a
 * test asks, so a test controls backpressure exactly.
 */
public final class RawWebSocket implements AutoCloseable {

  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  /** One frame as received. */
  public record Frame(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }

    public String closeReason() {
      return payload.length > 2
          ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
          : "";
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final String statusLine;
  private final List<String> headerLines;

  private RawWebSocket(Socket socket, DataInputStream in, OutputStream out, String head) {
    this.socket = socket;
    this.in = in;
    this.out = out;
    List<String> lines = List.of(head.split("\r\n"));
    this.statusLine = lines.get(0);
    this.headerLines = lines.subList(1, lines.size());
  }

  /** Opens the TCP connection and performs the upgrade with the given extra header lines. */
  public static RawWebSocket connect(URI uri, String... extraHeaders) {
    return connect(uri, new byte[0], extraHeaders);
  }

  /**
   * Sends the upgrade request and, in the same write, the given text frame: a client that does not
   * wait for the 101 before its first message.
   */
  public static RawWebSocket connectPipelining(URI uri, String text) {
    return connect(uri, encode(TEXT, text.getBytes(StandardCharsets.UTF_8)));
  }

  private static RawWebSocket connect(URI uri, byte[] pipelined, String... extraHeaders) {
    try {
      Socket socket = new Socket(uri.getHost(), uri.getPort());
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      StringBuilder request = new StringBuilder();
      String path =
          (uri.getRawPath() == null || uri.getRawPath().isEmpty()) ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      byte[] key = new byte[16];
      ThreadLocalRandom.current().nextBytes(key);
      request
          .append("GET ")
          .append(path)
          .append(" HTTP/1.1\r\nHost: ")
          .append(uri.getHost())
          .append(':')
          .append(uri.getPort())
          .append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
          .append("Sec-WebSocket-Key: ")
          .append(Base64.getEncoder().encodeToString(key))
          .append("\r\n");
      for (String header : extraHeaders) {
        request.append(header).append("\r\n");
      }
      request.append("\r\n");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      bytes.write(pipelined);
      out.write(bytes.toByteArray());
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      return new RawWebSocket(socket, in, out, readHeaders(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readHeaders(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during handshake");
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1).strip();
  }

  public boolean upgraded() {
    return statusLine.contains(" 101 ");
  }

  public String statusLine() {
    return statusLine;
  }

  /** The values of the handshake response's header {@code name} (any case), in order. */
  public List<String> header(String name) {
    List<String> values = new ArrayList<>();
    for (String line : headerLines) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        values.add(line.substring(colon + 1).trim());
      }
    }
    return values;
  }

  public void sendText(String text) {
    send(TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one final frame with a masked payload, as clients must. */
  public void send(int opcode, byte[] payload) {
    try {
      out.write(encode(opcode, payload));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sends text frames, back to back, as one byte stream cut into pieces of {@code pieceBytes}, each
   * written and flushed on its own with TCP_NODELAY and a 1 ms pause between them, so that the
   * server's reads end inside frame headers and payloads. (The pause shapes the traffic; nothing is
   * awaited by it.)
   */
  public void sendTextInPieces(int pieceBytes, String... texts) {
    try {
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      for (String text : texts) {
        stream.writeBytes(encode(TEXT, text.getBytes(StandardCharsets.UTF_8)));
      }
      byte[] bytes = stream.toByteArray();
      socket.setTcpNoDelay(true);
      for (int at = 0; at < bytes.length; at += pieceBytes) {
        out.write(bytes, at, Math.min(pieceBytes, bytes.length - at));
        out.flush();
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] encode(int opcode, byte[] payload) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(0x80 | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >>> shift));
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i & 3]);
    }
    return frame.toByteArray();
  }

  /** Reads the next frame, or null when the server closed the TCP connection. */
  public Frame read() {
    try {
      int first = in.read();
      if (first < 0) {
        return null;
      }
      int second = in.readUnsignedByte();
      long length = second & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return new Frame(first & 0x0f, payload);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame within the socket timeout", e);
    } catch (EOFException e) {
      return null;
    } catch (IOException e) {
      return null; // reset by the server
    }
  }

  /** Reads until a frame with {@code opcode} arrives; null if the connection ends first. */
  public Frame readUntil(int opcode) {
    Frame frame;
    while ((frame = read()) != null) {
      if (frame.opcode() == opcode) {
        return frame;
      }
    }
    return null;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
