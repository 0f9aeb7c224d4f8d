package dev.switchboard.metrics;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.security.RateLimits;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * Registers and updates the application's metrics. Gauges read the registry's live state when
 * scraped, so they are right at every moment (the original updated them only on join). Counters and
 * timers are looked up once, not per message.
 */
@ApplicationScoped
public class SignalingMetrics implements RoomEvents {

  /** The message types of v1, the only values of the {@code type} label. */
  public enum MessageType {
    OFFER,
    ANSWER,
    CANDIDATE,
    CONTROL
  }

  @Inject MetricRegistry metrics;
  @Inject RoomRegistry rooms;
  @Inject SignalingConfig config;

  private Counter forwarded;
  private Counter schemaRejections;
  private Counter backpressureCloses;
  private final Map<MessageType, Counter> received = new EnumMap<>(MessageType.class);
  private final Map<CloseCause, Counter> closes = new EnumMap<>(CloseCause.class);
  private final Map<RateLimits.Limit, Counter> rateLimitDrops =
      new EnumMap<>(RateLimits.Limit.class);
  private Timer fanoutLatency;
  private Timer joinLatency;
  private Timer crossRelayLatency;
  private volatile Timer redisLatency; // Redis may answer before the application has started

  /** Registers everything at start, so every series exists (at zero) before the first event. */
  void register(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    metrics.gauge(
        Metadata.builder()
            .withName(MetricNames.ACTIVE_CONNECTIONS)
            .withDescription("WebSocket connections open on this instance")
            .build(),
        rooms,
        RoomRegistry::connectionCount);
    metrics.gauge(
        Metadata.builder()
            .withName(MetricNames.LOCAL_ROOMS)
            .withDescription("Rooms with at least one member on this instance")
            .build(),
        rooms,
        RoomRegistry::roomCount);
    metrics.gauge(
        Metadata.builder()
            .withName(MetricNames.REDIS_UP)
            .withDescription("1 while Redis answers; 0 when it does not, or is not configured")
            .build(),
        rooms,
        r -> config.usesRedis() && r.store().isBackendUp() ? 1 : 0);
    metrics.gauge(
        Metadata.builder()
            .withName(MetricNames.CIRCUIT_BREAKER_OPEN)
            .withDescription("1 while the circuit breaker around Redis refuses calls")
            .build(),
        rooms,
        r -> r.store().isCircuitOpen() ? 1 : 0);
    forwarded = counter(MetricNames.MESSAGES_FORWARDED, "Frames handed to a recipient in a room");
    schemaRejections =
        counter(
            MetricNames.SCHEMA_REJECTIONS,
            "Client messages refused as invalid JSON or against the v1 schema");
    backpressureCloses =
        counter(
            MetricNames.BACKPRESSURE_CLOSES,
            "Connections closed because they fell too far behind (1013)");
    for (MessageType type : MessageType.values()) {
      received.put(
          type,
          counter(
              MetricNames.MESSAGES_RECEIVED,
              "Valid client messages by type",
              new Tag(MetricNames.TYPE, type.name().toLowerCase(Locale.ROOT))));
    }
    for (CloseCause cause : CloseCause.values()) {
      closes.put(
          cause,
          counter(
              MetricNames.CLOSES,
              "Connections the server closed, by cause",
              new Tag(MetricNames.CAUSE, cause.name().toLowerCase(Locale.ROOT))));
    }
    for (RateLimits.Limit limit : RateLimits.Limit.values()) {
      rateLimitDrops.put(
          limit,
          counter(
              MetricNames.RATE_LIMIT_DROPS,
              "Connections and messages refused by a rate limit",
              new Tag(MetricNames.LIMIT, limit.label())));
    }
    fanoutLatency =
        timer(MetricNames.FANOUT_LATENCY, "Time to hand one frame to every local recipient");
    joinLatency = timer(MetricNames.JOIN_LATENCY, "Time from socket open to a confirmed seat");
    crossRelayLatency =
        timer(
            MetricNames.CROSS_RELAY_LATENCY,
            "Time from the sending instance publishing a frame to this instance handing it to its"
                + " local recipients (wall clocks of the two instances)");
    redisLatency =
        timer(
            MetricNames.REDIS_COMMAND_LATENCY,
            "Time of one Redis command: seat claims and releases, liveness probes, publishes");
  }

  public void received(MessageType type) {
    received.get(type).inc();
  }

  public void rejected() {
    schemaRejections.inc();
  }

  public void rateLimited(RateLimits.Limit limit) {
    rateLimitDrops.get(limit).inc();
  }

  @Override
  public void joined(long nanos) {
    joinLatency.update(Duration.ofNanos(nanos));
  }

  @Override
  public void relayed(int recipients, long nanos) {
    forwarded.inc(recipients);
    fanoutLatency.update(Duration.ofNanos(nanos));
  }

  @Override
  public void relayedAcross(int recipients, long micros) {
    // Clocks of two hosts can disagree by a little: a negative time counts as zero.
    crossRelayLatency.update(Duration.ofNanos(Math.max(0, micros) * 1_000));
  }

  /** One Redis command took {@code nanos}. */
  public void redisCommand(long nanos) {
    Timer timer = redisLatency;
    if (timer != null) {
      timer.update(Duration.ofNanos(nanos));
    }
  }

  @Override
  public void closed(CloseCause cause) {
    closes.get(cause).inc();
    if (cause == CloseCause.SERVER_OVERLOADED) {
      backpressureCloses.inc();
    }
  }

  private Counter counter(String name, String description, Tag... tags) {
    return metrics.counter(
        Metadata.builder().withName(name).withDescription(description).build(), tags);
  }

  private Timer timer(String name, String description) {
    return metrics.timer(
        Metadata.builder()
            .withName(name)
            .withDescription(description)
            .withUnit(MetricUnits.SECONDS)
            .build());
  }
}
