package dev.switchboard.room;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small scheduler owned by the application for closes and heartbeats. Not the container's managed
 * executor: its pool sizes differ between Payara and Open Liberty (and Liberty needs an extra
 * feature for it), while these tasks need a fixed, tiny pool that lives and dies with the
 * application.
 */
@ApplicationScoped
public class BackgroundExecutor {

  private static final Logger LOG = Logger.getLogger(BackgroundExecutor.class.getName());
  private static final int THREADS = 2;

  private final ScheduledThreadPoolExecutor executor;

  public BackgroundExecutor() {
    AtomicInteger count = new AtomicInteger();
    executor =
        new ScheduledThreadPoolExecutor(
            THREADS,
            task -> {
              Thread t = new Thread(task, "switchboard-background-" + count.incrementAndGet());
              t.setDaemon(true);
              t.setUncaughtExceptionHandler(
                  (thread, e) -> LOG.log(Level.SEVERE, "Background task failed", e));
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
  }

  @Produces
  @Background
  public ScheduledExecutorService scheduler() {
    return executor;
  }

  @PreDestroy
  void stop() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
