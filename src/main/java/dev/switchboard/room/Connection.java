package dev.switchboard.room;

import java.util.function.Consumer;

/** The registry's view of one client socket; the WebSocket endpoint adapts its session to it. */
public interface Connection {

  /**
   * Sends one text frame without blocking. {@code done} runs exactly once, with null on success or
   * the failure, possibly on the calling thread before this method returns.
   */
  void send(String text, Consumer<Throwable> done);

  /**
   * Sends a ping; the client's pong reaches {@link RoomRegistry#pongReceived(Peer)}. Called by the
   * recipient's {@link Outbox}, never while one of its frames is being sent.
   */
  void ping();

  /**
   * Closes the socket with a close frame; may block briefly, so the registry calls it off the hot
   * path.
   */
  void close(CloseCause cause);
}
