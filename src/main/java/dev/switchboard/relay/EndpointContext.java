package dev.switchboard.relay;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.lifecycle.Drain;
import dev.switchboard.metrics.SignalingMetrics;
import dev.switchboard.room.BackgroundExecutor;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.security.RateLimits;
import jakarta.enterprise.inject.spi.CDI;
import java.util.concurrent.Executor;

/**
 * What every endpoint instance needs, looked up from CDI once by the configurator. The beans called
 * per message are held unproxied (see {@link RoomRegistry#unproxied}).
 */
record EndpointContext(
    RoomRegistry registry,
    MessageCodec codec,
    SignalingConfig config,
    SignalingMetrics metrics,
    Drain drain,
    RateLimits limits,
    Executor background) {

  static EndpointContext fromCdi() {
    CDI<Object> cdi = CDI.current();
    return new EndpointContext(
        cdi.select(RoomRegistry.class).get().unproxied().get(),
        cdi.select(MessageCodec.class).get().unproxied().get(),
        cdi.select(SignalingConfig.class).get(),
        (SignalingMetrics) cdi.select(SignalingMetrics.class).get().unproxied().get(),
        cdi.select(Drain.class).get(),
        cdi.select(RateLimits.class).get().unproxied().get(),
        cdi.select(BackgroundExecutor.class).get().scheduler());
  }
}
