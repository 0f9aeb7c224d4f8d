package dev.switchboard.metrics;

/** Every metric name in one place. Labels are bounded enums: never a room or peer id. */
public final class MetricNames {

  public static final String ACTIVE_CONNECTIONS = "signaling_active_connections";
  public static final String LOCAL_ROOMS = "signaling_local_rooms";
  public static final String REDIS_UP = "signaling_redis_up";
  public static final String CIRCUIT_BREAKER_OPEN = "signaling_circuit_breaker_open";
  public static final String MESSAGES_FORWARDED = "signaling_messages_forwarded_total";
  public static final String SCHEMA_REJECTIONS = "signaling_schema_rejections_total";
  public static final String BACKPRESSURE_CLOSES = "signaling_backpressure_closes_total";
  public static final String MESSAGES_RECEIVED = "signaling_messages_received_total";
  public static final String CLOSES = "signaling_closes_total";
  public static final String RATE_LIMIT_DROPS = "signaling_rate_limit_drops_total";
  public static final String RATE_LIMIT_FAIL_OPEN = "signaling_rate_limit_fail_open";
  public static final String BUS_FRAMES = "signaling_bus_frames_total";
  public static final String BUS_DISCARDS = "signaling_bus_discards_total";
  public static final String BUS_MISSING = "signaling_bus_missing_envelopes_total";
  public static final String FANOUT_LATENCY = "signaling_fanout_latency";
  public static final String JOIN_LATENCY = "signaling_join_latency";
  public static final String CROSS_RELAY_LATENCY = "signaling_cross_relay_latency";
  public static final String REDIS_COMMAND_LATENCY = "signaling_redis_cmd_latency";

  /** Label of {@link #MESSAGES_RECEIVED}: offer, answer, candidate or control. */
  public static final String TYPE = "type";

  /** Label of {@link #RATE_LIMIT_DROPS}: which of the four limits refused. */
  public static final String LIMIT = "limit";

  /** Label of {@link #CLOSES}: a {@code CloseCause} in lower case. */
  public static final String CAUSE = "cause";

  /** Label of {@link #BUS_FRAMES}: published or received. */
  public static final String DIRECTION = "direction";

  /** Label of {@link #BUS_DISCARDS}: a {@code RoomBus.Discard} in lower case. */
  public static final String REASON = "reason";

  private MetricNames() {}
}
