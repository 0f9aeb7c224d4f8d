package dev.switchboard.relay;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;

/**
 * Payara's Tyrus upgrade handler, minus a self-deadlock.
 *
 * <p>Why: {@code TyrusHttpUpgradeHandler.init} (Tyrus 2.1.5 in Payara 6.2025.10) registers its read
 * listener before it creates the WebSocket connection, and {@code onDataAvailable} waits on a latch
 * that {@code init} counts down at its very end. When WebSocket bytes arrive in the same read as
 * the upgrade request (a client that sends its first message without waiting for the 101), Payara's
 * web container calls {@code onDataAvailable} synchronously from inside {@code init}, and the HTTP
 * worker thread waits for itself forever. A few hundred such requests park every worker and the
 * server stops answering anything, health checks included.
 *
 * <p>This subclass notices that re-entrant call, returns from it without reading, and reads the
 * buffered bytes itself once {@code init} has finished, so the early message is relayed, not lost.
 * Calls from other threads go straight to Tyrus, as before. Installed by {@link #guard}, which the
 * {@link HandshakeFilter} applies to upgrade requests only when Payara's Tyrus is present.
 */
public class PipelineSafeUpgradeHandler extends TyrusHttpUpgradeHandler {

  private final Object reading = new Object();
  private volatile Thread initialising;
  private volatile boolean deferred;

  /** The request as seen by Tyrus's upgrade filter: its upgrade uses this handler instead. */
  static HttpServletRequest guard(HttpServletRequest request) {
    return new HttpServletRequestWrapper(request) {
      @Override
      public <T extends HttpUpgradeHandler> T upgrade(Class<T> handlerClass)
          throws IOException, ServletException {
        if (handlerClass == TyrusHttpUpgradeHandler.class) {
          return handlerClass.cast(super.upgrade(PipelineSafeUpgradeHandler.class));
        }
        return super.upgrade(handlerClass);
      }
    };
  }

  @Override
  public void init(WebConnection webConnection) {
    initialising = Thread.currentThread();
    try {
      super.init(webConnection);
    } finally {
      initialising = null;
    }
    if (deferred) {
      try {
        // Another thread may have been called for later bytes and read them all meanwhile.
        if (webConnection.getInputStream().isReady()) {
          synchronized (reading) {
            super.onDataAvailable();
          }
        }
      } catch (IOException | RuntimeException e) {
        onError(e);
      }
    }
  }

  @Override
  public void onDataAvailable() {
    if (initialising == Thread.currentThread()) {
      deferred = true; // called from inside init: read once init has finished
      return;
    }
    synchronized (reading) { // never two readers of one socket: see the deferred read in init
      super.onDataAvailable();
    }
  }
}
