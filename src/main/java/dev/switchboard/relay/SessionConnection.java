package dev.switchboard.relay;

import dev.switchboard.room.CloseCause;
import dev.switchboard.room.Connection;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** A JSR-356 session seen as a {@link Connection}. */
final class SessionConnection implements Connection {

  private static final Logger LOG = Logger.getLogger(SessionConnection.class.getName());
  private static final ByteBuffer NO_PAYLOAD = ByteBuffer.allocate(0);

  private final Session session;
  private final int drainCloseCode;

  /** {@code drainCloseCode}: {@code SHUTDOWN_CLOSE_CODE}, sent instead of 1012 when draining. */
  SessionConnection(Session session, int drainCloseCode) {
    this.session = session;
    this.drainCloseCode = drainCloseCode;
  }

  @Override
  public void send(String text, Consumer<Throwable> done) {
    try {
      session
          .getAsyncRemote()
          .sendText(text, result -> done.accept(result.isOK() ? null : result.getException()));
    } catch (RuntimeException e) {
      done.accept(e); // the session closed under us
    }
  }

  @Override
  public void ping() {
    try {
      session.getAsyncRemote().sendPing(NO_PAYLOAD.duplicate());
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "Ping failed; the heartbeat will drop the connection", e);
    }
  }

  @Override
  public void close(CloseCause cause) {
    try {
      if (session.isOpen()) {
        int code = cause == CloseCause.SERVER_DRAINING ? drainCloseCode : cause.code();
        session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), cause.reason()));
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "Close failed; the socket is already gone", e);
    }
  }
}
