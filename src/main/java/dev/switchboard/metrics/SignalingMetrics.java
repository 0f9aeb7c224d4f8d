package dev.switchboard.metrics;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.security.RateLimits;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
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
 *
 * <p>Every metric is kept twice over, in two views of the same events:
 *
 * <ul>
 *   <li>MicroProfile Metrics ({@code /metrics?scope=application}), the server's own exporter.
 *   <li>{@link #prometheus()}, served at {@code /prometheus} by {@link PrometheusServlet}: the same
 *       counters and gauges (read from the MicroProfile ones when scraped, not counted twice), the
 *       JVM's metrics, and latency histograms kept by the Prometheus client library. Payara's
 *       exporter writes its timers' quantiles in nanoseconds under {@code _seconds} names and
 *       computes their {@code _bucket} counts over a sample of recent observations, so they cannot
 *       be {@code rate()}d; these histograms count every observation since start, in seconds.
 * </ul>
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
  @Inject RateLimits limits;

  private Counter forwarded;
  private Counter schemaRejections;
  private Counter backpressureCloses;
  private Counter busMissing;
  private final Map<MessageType, Counter> received = new EnumMap<>(MessageType.class);
  private final Map<CloseCause, Counter> closes = new EnumMap<>(CloseCause.class);
  private final Map<RoomBus.Direction, Counter> busFrames = new EnumMap<>(RoomBus.Direction.class);
  private final Map<RoomBus.Discard, Counter> busDiscards = new EnumMap<>(RoomBus.Discard.class);
  private final Map<RateLimits.Limit, Counter> rateLimitDrops =
      new EnumMap<>(RateLimits.Limit.class);
  private Latency fanoutLatency;
  private Latency joinLatency;
  private Latency crossRelayLatency;
  private volatile Latency redisLatency; // Redis may answer before the application has started

  /**
   * Upper bounds, in seconds, of the latency histograms at {@code /prometheus}: from 100 µs (a
   * local hand-off) to 10 s (a join that waited out a Redis timeout).
   */
  static final double[] LATENCY_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final PrometheusRegistry prometheus = new PrometheusRegistry();

  /** One latency in both views: a MicroProfile timer and a Prometheus histogram in seconds. */
  private record Latency(Timer timer, Histogram histogram) {
    void record(long nanos) {
      timer.update(Duration.ofNanos(nanos));
      histogram.observe(nanos / 1e9);
    }
  }

  /** Registers everything at start, so every series exists (at zero) before the first event. */
  void register(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    gauge(
        MetricNames.ACTIVE_CONNECTIONS,
        "WebSocket connections open on this instance",
        rooms::connectionCount);
    gauge(
        MetricNames.LOCAL_ROOMS,
        "Rooms with at least one member on this instance",
        rooms::roomCount);
    gauge(
        MetricNames.REDIS_UP,
        "1 while Redis answers; 0 when it does not, or is not configured",
        () -> config.usesRedis() && rooms.store().isBackendUp() ? 1 : 0);
    gauge(
        MetricNames.CIRCUIT_BREAKER_OPEN,
        "1 while the circuit breaker around Redis refuses calls",
        () -> rooms.store().isCircuitOpen() ? 1 : 0);
    gauge(
        MetricNames.RATE_LIMIT_FAIL_OPEN,
        "1 while Redis is down, so the per-address and per-room message limits count on this"
            + " instance only instead of cluster-wide; 0 otherwise, and always without Redis",
        () -> limits.sharedFailingOpen() ? 1 : 0);
    forwarded = counter(MetricNames.MESSAGES_FORWARDED, "Frames handed to a recipient in a room");
    schemaRejections =
        counter(
            MetricNames.SCHEMA_REJECTIONS,
            "Client messages refused as invalid JSON or against the v1 schema");
    backpressureCloses =
        counter(
            MetricNames.BACKPRESSURE_CLOSES,
            "Connections closed because they fell too far behind (1013)");
    counters(
        received,
        MessageType.values(),
        MetricNames.MESSAGES_RECEIVED,
        "Valid client messages by type",
        MetricNames.TYPE,
        type -> type.name().toLowerCase(Locale.ROOT));
    counters(
        closes,
        CloseCause.values(),
        MetricNames.CLOSES,
        "Connections the server closed, by cause",
        MetricNames.CAUSE,
        cause -> cause.name().toLowerCase(Locale.ROOT));
    counters(
        rateLimitDrops,
        RateLimits.Limit.values(),
        MetricNames.RATE_LIMIT_DROPS,
        "Connections and messages refused by a rate limit",
        MetricNames.LIMIT,
        RateLimits.Limit::label);
    counters(
        busFrames,
        RoomBus.Direction.values(),
        MetricNames.BUS_FRAMES,
        "Frames sent to other instances through Redis (published: Redis took them) or received"
            + " from them; 0 without Redis",
        MetricNames.DIRECTION,
        direction -> direction.name().toLowerCase(Locale.ROOT));
    counters(
        busDiscards,
        RoomBus.Discard.values(),
        MetricNames.BUS_DISCARDS,
        "What the Redis bus dropped, by reason: publish_failed, redis_down and not_listening"
            + " count frames (or announcements) that never reached the other instances (the last:"
            + " no instance listened, as when it died); duplicate, superseded and"
            + " malformed count envelopes dropped on arrival (delivered once already, or by another"
            + " listener, or not understood)",
        MetricNames.REASON,
        reason -> reason.name().toLowerCase(Locale.ROOT));
    busMissing =
        counter(
            MetricNames.BUS_MISSING,
            "Envelopes (an announcement or up to 256 frames) other instances published that"
                + " never arrived here (gaps in a sender's numbering): given up on by the sender"
                + " (its publish_failed) or lost by Redis or its client");
    JvmMetrics.builder().register(prometheus);
    fanoutLatency =
        latency(MetricNames.FANOUT_LATENCY, "Time to hand one frame to every local recipient");
    joinLatency = latency(MetricNames.JOIN_LATENCY, "Time from socket open to a confirmed seat");
    crossRelayLatency =
        latency(
            MetricNames.CROSS_RELAY_LATENCY,
            "Time from the sending instance publishing a frame to this instance handing it to its"
                + " local recipients (wall clocks of the two instances)");
    redisLatency =
        latency(
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

  /**
   * The registry behind {@code /prometheus}: the application's metrics and the JVM's, with
   * Prometheus-correct histograms.
   */
  public PrometheusRegistry prometheus() {
    return prometheus;
  }

  @Override
  public void joined(long nanos) {
    joinLatency.record(nanos);
  }

  @Override
  public void relayed(int recipients, long nanos) {
    forwarded.inc(recipients);
    fanoutLatency.record(nanos);
  }

  @Override
  public void relayedAcross(int recipients, long micros) {
    // Clocks of two hosts can disagree by a little: a negative time counts as zero.
    crossRelayLatency.record(Math.max(0, micros) * 1_000);
  }

  @Override
  public void busFrames(RoomBus.Direction direction, int frames) {
    busFrames.get(direction).inc(frames);
  }

  @Override
  public void busDiscarded(RoomBus.Discard reason, int count) {
    busDiscards.get(reason).inc(count);
  }

  @Override
  public void busMissing(long envelopes) {
    busMissing.inc(envelopes);
  }

  /** One Redis command took {@code nanos}. */
  public void redisCommand(long nanos) {
    Latency latency = redisLatency;
    if (latency != null) {
      latency.record(nanos);
    }
  }

  @Override
  public void closed(CloseCause cause) {
    closes.get(cause).inc();
    if (cause == CloseCause.SERVER_OVERLOADED) {
      backpressureCloses.inc();
    }
  }

  private void gauge(String name, String description, DoubleSupplier value) {
    metrics.gauge(
        Metadata.builder().withName(name).withDescription(description).build(), value::getAsDouble);
    GaugeWithCallback.builder()
        .name(name)
        .help(description)
        .callback(callback -> callback.call(value.getAsDouble()))
        .register(prometheus);
  }

  /** A counter in both views: MicroProfile counts, and {@code /prometheus} reads its count. */
  private Counter counter(String name, String description) {
    Counter counter =
        metrics.counter(Metadata.builder().withName(name).withDescription(description).build());
    CounterWithCallback.builder()
        .name(name)
        .help(description)
        .callback(callback -> callback.call(counter.getCount()))
        .register(prometheus);
    return counter;
  }

  /** One counter per key, labelled {@code label}, in both views; put into {@code into}. */
  private <K extends Enum<K>> void counters(
      Map<K, Counter> into,
      K[] keys,
      String name,
      String description,
      String label,
      Function<K, String> labelValue) {
    Metadata metadata = Metadata.builder().withName(name).withDescription(description).build();
    for (K key : keys) {
      into.put(key, metrics.counter(metadata, new Tag(label, labelValue.apply(key))));
    }
    CounterWithCallback.builder()
        .name(name)
        .help(description)
        .labelNames(label)
        .callback(
            callback ->
                into.forEach(
                    (key, counter) -> callback.call(counter.getCount(), labelValue.apply(key))))
        .register(prometheus);
  }

  private Latency latency(String name, String description) {
    Timer timer =
        metrics.timer(
            Metadata.builder()
                .withName(name)
                .withDescription(description)
                .withUnit(MetricUnits.SECONDS)
                .build());
    Histogram histogram =
        Histogram.builder()
            .name(name + "_seconds")
            .help(description)
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(prometheus);
    return new Latency(timer, histogram);
  }
}
