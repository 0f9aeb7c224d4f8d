package dev.switchboard.lifecycle;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.Frame;
import dev.switchboard.room.RoomRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Takes this instance out of service: readiness turns 503 at once, new connections are refused with
 * 1012, and every client gets a {@code reconnect} control message and then a close with {@code
 * SHUTDOWN_CLOSE_CODE} (1012) {@code Server draining}, its peers learning it as usual. Runs on
 * SIGTERM through a JVM shutdown hook, bounded by {@code DRAIN_TIMEOUT_MS}.
 */
@ApplicationScoped
public class Drain {

  private static final Logger LOG = Logger.getLogger(Drain.class.getName());

  /** Tells a client this instance is going away and it should connect again (elsewhere). */
  public static final Frame RECONNECT =
      Frame.of(
          "{\"type\":\"control\",\"action\":\"reconnect\",\"payload\":{\"reason\":\"draining\"}}");

  @Inject RoomRegistry registry;
  @Inject SignalingConfig config;

  private volatile boolean draining;
  private Thread hook;

  void start(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    hook = new Thread(this::drain, "switchboard-drain");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  public boolean isDraining() {
    return draining;
  }

  /** Drains every connection; returns how long it took. Later calls return at once. */
  public synchronized Duration drain() {
    if (draining) {
      return Duration.ZERO;
    }
    long start = System.nanoTime();
    draining = true;
    int clients = registry.connectionCount();
    LOG.info(() -> "Draining " + clients + " connections");
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    registry
        .peers()
        .forEach(peer -> closing.add(registry.finish(peer, RECONNECT, CloseCause.SERVER_DRAINING)));
    boolean emptied =
        registry.awaitEmpty(Duration.ofMillis(config.drainTimeoutMs())) && closed(closing, start);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.info(
        () ->
            (emptied ? "Drained " : "Drain timed out with connections left of ")
                + clients
                + " connections in "
                + took.toMillis()
                + " ms");
    return took;
  }

  /**
   * Waits, within what is left of {@code DRAIN_TIMEOUT_MS}, until every close frame was handed to
   * its socket: on SIGTERM the process exits as soon as the drain returns.
   */
  private boolean closed(List<CompletableFuture<Void>> closing, long start) {
    long leftMs = config.drainTimeoutMs() - (System.nanoTime() - start) / 1_000_000;
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
          .get(Math.max(0, leftMs), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @PreDestroy
  void stop() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or has run: the JVM is exiting, which is why we are here.
    }
  }
}
