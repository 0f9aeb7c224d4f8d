package dev.switchboard.room;

import dev.switchboard.config.SignalingConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Pings every peer each {@code HEARTBEAT_INTERVAL_MS}; a peer that missed its pong is dropped. */
@ApplicationScoped
public class Heartbeat {

  private static final Logger LOG = Logger.getLogger(Heartbeat.class.getName());

  @Inject RoomRegistry registry;
  @Inject SignalingConfig config;
  @Inject @Background ScheduledExecutorService scheduler;

  /** Starts with the application, which also validates the configuration at deployment. */
  void start(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    long interval = config.heartbeatIntervalMs();
    scheduler.scheduleWithFixedDelay(this::beat, interval, interval, TimeUnit.MILLISECONDS);
    LOG.info(
        () ->
            "Switchboard ready: "
                + (config.usesRedis() ? "Redis" : "in-memory")
                + " rooms, capacity "
                + config.roomCapacity()
                + ", heartbeat every "
                + interval
                + " ms");
  }

  private void beat() {
    try {
      registry.heartbeat();
    } catch (RuntimeException e) {
      // A failed round must not cancel the schedule.
      LOG.log(Level.WARNING, "Heartbeat round failed", e);
    }
  }
}
