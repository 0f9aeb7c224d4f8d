package dev.switchboard.health;

import dev.switchboard.room.RoomRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** {@link Readiness} as a MicroProfile Health check, at {@code /health/ready}. */
@ApplicationScoped
@org.eclipse.microprofile.health.Readiness
public class ReadinessCheck implements HealthCheck {

  @Inject Readiness readiness;
  @Inject RoomRegistry registry;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("switchboard-rooms")
        .status(readiness.isReady())
        .withData("connections", registry.connectionCount())
        .withData("rooms", registry.roomCount())
        .build();
  }
}
