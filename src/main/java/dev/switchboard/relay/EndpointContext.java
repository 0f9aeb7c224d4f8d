package dev.switchboard.relay;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.lifecycle.Drain;
import dev.switchboard.metrics.SignalingMetrics;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.security.RateLimits;
import java.util.concurrent.Executor;

/** What every endpoint instance needs, looked up from CDI once by the configurator. */
record EndpointContext(
    RoomRegistry registry,
    MessageCodec codec,
    SignalingConfig config,
    SignalingMetrics metrics,
    Drain drain,
    RateLimits limits,
    Executor background) {}
