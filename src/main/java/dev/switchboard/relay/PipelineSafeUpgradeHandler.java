package dev.switchboard.relay;

import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.glassfish.tyrus.core.CloseReasons;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;
import org.glassfish.tyrus.spi.Connection;

/**
 * Payara's Tyrus upgrade handler, minus a self-deadlock and minus most of its per-read cost.
 *
 * <p>The deadlock: {@code TyrusHttpUpgradeHandler.init} (Tyrus 2.1.5 in Payara 6.2025.10) registers
 * its read listener before it creates the WebSocket connection, and {@code onDataAvailable} waits
 * on a latch that {@code init} counts down at its very end. When WebSocket bytes arrive in the same
 * read as the upgrade request (a client that sends its first message without waiting for the 101),
 * Payara's web container calls {@code onDataAvailable} synchronously from inside {@code init}, and
 * the HTTP worker thread waits for itself forever. A few hundred such requests park every worker
 * and the server stops answering anything, health checks included. This subclass notices that
 * re-entrant call, returns from it without reading, and reads the buffered bytes itself once {@code
 * init} has finished, so the early message is relayed, not lost.
 *
 * <p>The read loop: Tyrus's own formats a log string on every read whether or not the level is on
 * ({@code LOGGER.finest(String.format("Remaining Data = %d", ...))}) and allocates a new array per
 * read; a JFR profile of the relay put about 8 % of the HTTP workers' CPU in that formatting. This
 * class reads with the same semantics (the same buffer limit, the same close on overflow) into a
 * per-thread scratch array, and keeps bytes only for a frame that is not yet complete, in a buffer
 * that grows by doubling. It needs three private fields of Tyrus's class; where they are not found
 * (another Tyrus version) Tyrus's own loop runs, as before.
 *
 * <p>Installed by {@link #guard}, which the {@link HandshakeFilter} applies to upgrade requests
 * only when Payara's Tyrus is present.
 */
public class PipelineSafeUpgradeHandler extends TyrusHttpUpgradeHandler {

  private static final Logger LOG = Logger.getLogger(PipelineSafeUpgradeHandler.class.getName());

  /** Tyrus reads what is available, or 16 KiB when the stream cannot tell. */
  private static final int READ_CHUNK = 16 * 1024;

  private static final ThreadLocal<byte[]> SCRATCH =
      ThreadLocal.withInitial(() -> new byte[READ_CHUNK]);

  private static final VarHandle CONNECTION = tyrusField("connection", Connection.class);
  private static final VarHandle CLOSED = tyrusField("closed", boolean.class);
  private static final VarHandle BUFFER_SIZE = tyrusField("incomingBufferSize", int.class);
  private static final boolean OWN_READ_LOOP =
      CONNECTION != null && CLOSED != null && BUFFER_SIZE != null;

  private final Object reading = new Object();
  private final CountDownLatch initialised = new CountDownLatch(1);
  private volatile Thread initialising;
  private volatile boolean deferred;

  // Set once init has finished (then published by the latch); used under `reading` only.
  private Connection connection;
  private ServletInputStream input;
  private int bufferLimit;

  /** The start of a frame not yet complete (read mode), or null. */
  private ByteBuffer partial;

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

  private static VarHandle tyrusField(String name, Class<?> type) {
    try {
      return MethodHandles.privateLookupIn(TyrusHttpUpgradeHandler.class, MethodHandles.lookup())
          .findVarHandle(TyrusHttpUpgradeHandler.class, name, type);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.INFO, "Tyrus's own read loop is used: no field " + name, e);
      return null;
    }
  }

  @Override
  public void init(WebConnection webConnection) {
    initialising = Thread.currentThread();
    try {
      super.init(webConnection);
      if (OWN_READ_LOOP) {
        connection = (Connection) CONNECTION.get(this);
        bufferLimit = (int) BUFFER_SIZE.get(this);
        input = webConnection.getInputStream();
      }
    } catch (IOException | RuntimeException e) {
      connection = null; // Tyrus's own loop then, whatever went wrong
      LOG.log(Level.FINE, "Upgrade handler set-up", e);
    } finally {
      initialising = null;
      initialised.countDown();
    }
    if (deferred) {
      try {
        // Another thread may have been called for later bytes and read them all meanwhile.
        if (webConnection.getInputStream().isReady()) {
          synchronized (reading) {
            read();
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
    try {
      initialised.await(); // as Tyrus does: the connection exists once init has finished
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    synchronized (reading) { // never two readers of one socket: see the deferred read in init
      read();
    }
  }

  private void read() {
    if (connection == null) {
      super.onDataAvailable();
      return;
    }
    try {
      byte[] scratch = SCRATCH.get();
      do {
        int n = input.read(scratch);
        if (n <= 0) {
          break;
        }
        ByteBuffer data = partial == null ? ByteBuffer.wrap(scratch, 0, n) : append(scratch, n);
        connection.getReadHandler().handle(data);
        if (!data.hasRemaining()) {
          partial = null;
        } else if (data != partial) {
          // The rest of a frame is still to come: keep its start, as the scratch array is reused.
          ByteBuffer kept =
              ByteBuffer.allocate(Math.min(bufferLimit, Math.max(data.remaining() * 2, 256)));
          partial = kept.put(data).flip();
        }
      } while (!(boolean) CLOSED.getVolatile(this) && input.isReady());
    } catch (IOException e) {
      partial = null;
      connection.close(CloseReasons.CANNOT_ACCEPT.getCloseReason());
    }
  }

  /** {@link #partial} with {@code n} more bytes after it, within Tyrus's buffer limit. */
  private ByteBuffer append(byte[] bytes, int n) throws IOException {
    ByteBuffer p = partial;
    int need = p.remaining() + n;
    if (need > bufferLimit) {
      throw new IOException(
          "Tyrus input buffer exceeded. Current buffer size is " + bufferLimit + " bytes.");
    }
    if (p.capacity() - p.limit() < n) {
      if (p.capacity() >= need) {
        p.compact().flip();
      } else {
        ByteBuffer bigger =
            ByteBuffer.allocate(Math.min(bufferLimit, Math.max(need, p.capacity() * 2)));
        p = bigger.put(p).flip();
      }
    }
    int end = p.limit();
    p.limit(end + n);
    p.put(end, bytes, 0, n);
    partial = p;
    return p;
  }
}
